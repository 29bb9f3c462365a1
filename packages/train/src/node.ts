/**
 * Node-only parts of @attnzoo/train: checkpoints in a folder on disk and a JSONL epoch log.
 * Everything from the browser-safe entry is re-exported.
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type {
  Checkpoint,
  CheckpointStore,
  CheckpointTag,
  EpochLogs,
  NamedArray,
  TrainState,
} from './checkpoint';
import { FolderLock } from './folder-lock';
import type { Callback, TrainInfo } from './trainer';

export * from './index';

const FORMAT = 'attnzoo-train-checkpoint';
const VERSION = 1;

interface StateFile {
  format: string;
  version: number;
  sha256: { 'weights.bin': string; 'optimizer.bin': string };
  weights: { name: string; shape: number[]; dtype: 'float32' | 'int32'; offset: number; length: number }[];
  optimizer: { step: number; sizes: number[] };
  state: TrainState;
}

function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

function bytesOf(a: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

async function writeDurable(path: string, data: Uint8Array | string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(path: string): Promise<void> {
  try {
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/**
 * Checks that state.json describes the binary files exactly: every weight a named, 4-byte aligned
 * slice of weights.bin whose length is the product of its shape, the slices back to back over the
 * whole file, and the optimizer sizes adding up to optimizer.bin. Calls `fail` with the reason.
 */
function checkLayout(
  file: StateFile,
  weightBytes: number,
  optimizerBytes: number,
  fail: (why: string) => never,
): void {
  if (!Array.isArray(file.weights)) fail('has no weight list');
  let at = 0;
  for (const [i, w] of file.weights.entries()) {
    if (!w || typeof w.name !== 'string') fail(`weight ${i} has no name`);
    if (w.dtype !== 'float32' && w.dtype !== 'int32') fail(`weight ${w.name} has dtype ${w.dtype}`);
    if (!Array.isArray(w.shape) || !w.shape.every(isCount))
      fail(`weight ${w.name} has shape ${JSON.stringify(w.shape)}`);
    const size = w.shape.reduce((a, d) => a * d, 1);
    if (w.length !== size) fail(`weight ${w.name} has ${w.length} values for shape [${w.shape}]`);
    if (w.offset !== at) fail(`weight ${w.name} starts at byte ${w.offset}, expected ${at}`);
    at += size * 4;
    if (at > weightBytes) fail(`weight ${w.name} runs past the ${weightBytes} bytes of weights.bin`);
  }
  if (at !== weightBytes) fail(`describes ${at} bytes of weights, weights.bin holds ${weightBytes}`);
  const sizes = file.optimizer?.sizes;
  if (!isCount(file.optimizer?.step) || !Array.isArray(sizes) || !sizes.every(isCount))
    fail('has no valid optimizer step and sizes');
  const need = 2 * 4 * sizes.reduce((a, b) => a + b, 0);
  if (need !== optimizerBytes)
    fail(`describes ${need} optimizer bytes, optimizer.bin holds ${optimizerBytes}`);
  const st = file.state as Partial<TrainState> | undefined;
  if (!st || typeof st !== 'object' || !isCount(st.epoch) || !isCount(st.step))
    fail('has no valid training state');
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/**
 * Checkpoints in a folder:
 *
 *     <dir>/last.json, <dir>/best.json      pointers {"folder": "..."} to complete checkpoints
 *     <dir>/e0003-.../weights.bin           weights, little-endian, one after the other
 *     <dir>/e0003-.../optimizer.bin         AdamW first then second moments
 *     <dir>/e0003-.../state.json            manifest, epoch/step/RNG/best/signature, sha256 of the .bin files
 *
 * A checkpoint is written into `<folder>.tmp-<pid>`, flushed, renamed to its final name, and only
 * then is the pointer replaced (written to a temporary file and renamed over the old one). Killing
 * the process at any moment leaves the previous pointer and its checkpoint intact; leftovers are
 * removed by the next save. Loading checks the sha256 of each binary.
 */
export class DiskCheckpointStore implements CheckpointStore {
  /**
   * @param hooks.beforeCommit test hook, awaited after the checkpoint folder is written and before it
   *   becomes visible (to simulate a crash mid-write).
   */
  private readonly lock: FolderLock;

  constructor(
    readonly dir: string,
    private readonly hooks: { beforeCommit?: (tag: CheckpointTag) => void | Promise<void> } = {},
  ) {
    this.lock = new FolderLock(dir);
  }

  /**
   * Claims the folder for one training (`train` calls this before anything is read or written): a
   * second training writing into the same folder, in this process or another, is refused. The
   * claim of a killed process is taken over.
   */
  async acquire(): Promise<void> {
    const r = await this.lock.acquire();
    if (r.ok) return;
    const who = r.holder
      ? `process ${r.holder.pid} on ${r.holder.host}${r.holder.pid === process.pid ? ' (this process)' : ''}, since ${r.holder.since}`
      : 'a process that keeps replacing the lock';
    throw new CheckpointError(
      `checkpoint folder ${this.dir} is in use by another training (${who}): two trainings writing checkpoints ` +
        `into one folder would overwrite each other's. Give this training another checkpoint folder, or stop the ` +
        `other one; if it is not running any more, delete ${this.lock.path}.`,
    );
  }

  /** Gives the folder up (`train` calls this when it ends, also on errors). */
  async release(): Promise<void> {
    await this.lock.release();
  }

  async save(tag: CheckpointTag, c: Checkpoint): Promise<void> {
    const name = `e${String(c.state.epoch).padStart(4, '0')}-s${c.state.step}-${tag}-${Date.now().toString(36)}`;
    const tmp = join(this.dir, `${name}.tmp-${process.pid}`);
    const weightsBin = concat(c.weights.map((w) => bytesOf(w.data)));
    const optBin = concat([...c.optimizer.m.map(bytesOf), ...c.optimizer.v.map(bytesOf)]);
    let offset = 0;
    const file: StateFile = {
      format: FORMAT,
      version: VERSION,
      sha256: { 'weights.bin': sha256(weightsBin), 'optimizer.bin': sha256(optBin) },
      weights: c.weights.map((w) => {
        const entry = { name: w.name, shape: w.shape, dtype: w.dtype, offset, length: w.data.length };
        offset += w.data.byteLength;
        return entry;
      }),
      optimizer: { step: c.optimizer.step, sizes: c.optimizer.m.map((a) => a.length) },
      state: c.state,
    };
    // A write that fails (disk full, read-only folder) removes what it wrote and leaves the
    // previous checkpoint and its pointer as they were.
    try {
      await mkdir(this.dir, { recursive: true });
      await rm(tmp, { recursive: true, force: true });
      await mkdir(tmp);
      await writeDurable(join(tmp, 'weights.bin'), weightsBin);
      await writeDurable(join(tmp, 'optimizer.bin'), optBin);
      await writeDurable(join(tmp, 'state.json'), JSON.stringify(file));
      await syncDir(tmp);
    } catch (error) {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw await this.writeFailed(tag, c, error);
    }
    await this.hooks.beforeCommit?.(tag);
    const final = join(this.dir, name);
    const pointerTmp = join(this.dir, `${tag}.json.tmp-${process.pid}`);
    let renamed = false;
    try {
      await rename(tmp, final);
      renamed = true;
      await writeDurable(
        pointerTmp,
        JSON.stringify({ folder: name, epoch: c.state.epoch, step: c.state.step }),
      );
      await rename(pointerTmp, join(this.dir, `${tag}.json`));
    } catch (error) {
      await rm(pointerTmp, { force: true }).catch(() => undefined);
      await rm(renamed ? final : tmp, { recursive: true, force: true }).catch(() => undefined);
      throw await this.writeFailed(tag, c, error);
    }
    await syncDir(this.dir);
    await this.cleanup();
  }

  /** The error for a save that could not be written: what failed, that the previous checkpoint is intact, the fix. */
  private async writeFailed(tag: CheckpointTag, c: Checkpoint, error: unknown): Promise<CheckpointError> {
    let previous = `there was no earlier '${tag}' checkpoint`;
    try {
      const p = JSON.parse(await readFile(join(this.dir, `${tag}.json`), 'utf8')) as { epoch?: number };
      previous = `the previous '${tag}' checkpoint (epoch ${p.epoch}) is intact`;
    } catch {
      // no readable pointer: nothing earlier to keep
    }
    const e = error as NodeJS.ErrnoException;
    const message = String(e?.message ?? error);
    const cause = e?.code && !message.startsWith(e.code) ? `${e.code}: ${message}` : message;
    const fix =
      e?.code === 'ENOSPC' || e?.code === 'EDQUOT'
        ? 'free disk space'
        : e?.code === 'EACCES' || e?.code === 'EPERM' || e?.code === 'EROFS'
          ? 'make the folder writable'
          : 'fix the cause';
    const err = new CheckpointError(
      `could not save the '${tag}' checkpoint of epoch ${c.state.epoch} into ${this.dir} (${cause}); ${previous}. ` +
        `${fix[0].toUpperCase()}${fix.slice(1)} or choose another checkpoint folder, then resume the training.`,
    );
    (err as { cause?: unknown }).cause = error;
    return err;
  }

  /** Folder of the checkpoint under `tag`, or null. */
  async folder(tag: CheckpointTag): Promise<string | null> {
    let text: string;
    try {
      text = await readFile(join(this.dir, `${tag}.json`), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    try {
      const { folder } = JSON.parse(text) as { folder: string };
      if (typeof folder !== 'string' || folder.includes('/') || folder.includes('\\'))
        throw new Error('bad folder');
      return folder;
    } catch {
      throw new CheckpointError(
        `checkpoint pointer ${join(this.dir, `${tag}.json`)} is corrupted: delete it to start over, or restore it from a backup`,
      );
    }
  }

  async load(tag: CheckpointTag): Promise<Checkpoint | null> {
    const folder = await this.folder(tag);
    if (folder === null) return null;
    const path = join(this.dir, folder);
    const fix = `delete ${this.dir} to start over${tag === 'last' ? ", or load the 'best' checkpoint" : ''}`;
    let file: StateFile;
    let weightsBin: Buffer;
    let optBin: Buffer;
    try {
      file = JSON.parse(await readFile(join(path, 'state.json'), 'utf8')) as StateFile;
      weightsBin = await readFile(join(path, 'weights.bin'));
      optBin = await readFile(join(path, 'optimizer.bin'));
    } catch (e) {
      throw new CheckpointError(`checkpoint ${path} is unreadable (${(e as Error).message}): ${fix}`);
    }
    if (!file || typeof file !== 'object' || file.format !== FORMAT || file.version !== VERSION) {
      throw new CheckpointError(
        `${path} is not a version ${VERSION} @attnzoo/train checkpoint (format ${file?.format}, version ${file?.version}): ${fix}`,
      );
    }
    for (const [fname, buf] of [
      ['weights.bin', weightsBin],
      ['optimizer.bin', optBin],
    ] as const) {
      const got = sha256(buf);
      if (got !== file.sha256?.[fname]) {
        throw new CheckpointError(
          `checkpoint ${path} is corrupted: sha256 of ${fname} is ${got.slice(0, 12)}…, state.json says ${String(file.sha256?.[fname]).slice(0, 12)}…; ${fix}`,
        );
      }
    }
    // state.json is not covered by a checksum: every offset and size in it is checked against the
    // files before a typed array is laid over them
    checkLayout(file, weightsBin.byteLength, optBin.byteLength, (why) => {
      throw new CheckpointError(`checkpoint ${path} is corrupted: state.json ${why}; ${fix}`);
    });
    const aligned = (buf: Buffer): ArrayBuffer =>
      buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    const wb = aligned(weightsBin);
    const weights: NamedArray[] = file.weights.map((w) => ({
      name: w.name,
      shape: w.shape,
      dtype: w.dtype,
      data:
        w.dtype === 'int32'
          ? new Int32Array(wb, w.offset, w.length)
          : new Float32Array(wb, w.offset, w.length),
    }));
    const ob = aligned(optBin);
    const n = file.optimizer.sizes.length;
    const m: Float32Array[] = [];
    const v: Float32Array[] = [];
    let o = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < n; i++) {
        const size = file.optimizer.sizes[i];
        (pass === 0 ? m : v).push(new Float32Array(ob, o, size));
        o += size * 4;
      }
    }
    return { weights, optimizer: { step: file.optimizer.step, m, v }, state: file.state };
  }

  /** Removes checkpoint folders that no pointer names, and leftovers of interrupted writes. */
  private async cleanup(): Promise<void> {
    const keep = new Set<string>();
    for (const tag of ['last', 'best'] as const) {
      const f = await this.folder(tag).catch(() => null);
      if (f) keep.add(f);
    }
    for (const entry of await readdir(this.dir, { withFileTypes: true })) {
      const isCheckpoint = entry.isDirectory() && /^e\d+-s\d+-/.test(entry.name);
      const isLeftover = /\.tmp-\d+$/.test(entry.name);
      if ((isCheckpoint && !keep.has(entry.name)) || isLeftover) {
        await rm(join(this.dir, entry.name), { recursive: true, force: true });
      }
    }
  }
}

/** Appends one JSON line per epoch (the epoch logs plus a timestamp) to `path`. */
export function jsonlLog(path: string): Callback {
  let ready: Promise<unknown> | undefined;
  return {
    onTrainBegin(_info: TrainInfo) {
      ready = mkdir(dirname(path), { recursive: true });
    },
    async onEpochEnd(logs: EpochLogs) {
      await ready;
      await appendFile(path, `${JSON.stringify({ ...logs, time: new Date().toISOString() })}\n`);
    },
  };
}
