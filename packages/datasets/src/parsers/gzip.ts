import { Gunzip } from 'fflate';
import { DatasetError } from '../errors';
import { checkDeclaredSize, datasetLimits } from '../limits';
import { type ByteSource, concatBytes } from './bytes';

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

function gzipError(what: string, e: unknown): DatasetError {
  if (e instanceof DatasetError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const truncated = /unexpected EOF|end of file/i.test(msg);
  return new DatasetError(
    truncated ? 'TRUNCATED' : 'CORRUPT',
    `${what}: ${truncated ? 'gzip stream is truncated' : `gzip data is corrupt (${msg})`}; remove the file and download it again`,
    { cause: e },
  );
}

/**
 * Gunzips a whole buffer (pure JS, browser-safe). The output is counted as it is produced and
 * refused once it passes `maxBytes` (default: the maxFileBytes limit), so a decompression bomb
 * stops there instead of filling memory.
 */
export function gunzipBytes(
  b: Uint8Array,
  what = 'gzip data',
  maxBytes = datasetLimits().maxFileBytes,
): Uint8Array {
  const out: Uint8Array[] = [];
  let produced = 0;
  const g = new Gunzip((chunk) => {
    out.push(chunk);
    produced += chunk.length;
  });
  // Each 64 KiB of input inflates to at most ~66 MB, so the count is checked often enough to bound memory.
  const step = 1 << 16;
  try {
    if (b.length === 0) g.push(b, true);
    for (let o = 0; o < b.length; o += step) {
      g.push(b.subarray(o, Math.min(b.length, o + step)), o + step >= b.length);
      if (produced > maxBytes) checkDeclaredSize(`${what}: gzip data`, produced, 'maxFileBytes', maxBytes);
    }
  } catch (e) {
    throw gzipError(what, e);
  }
  return concatBytes(out, produced);
}

/** Streaming gunzip (pure JS, browser-safe): yields decompressed chunks as they come. */
export async function* gunzipStream(src: ByteSource, what = 'gzip data'): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  const g = new Gunzip((chunk) => {
    out.push(chunk);
  });
  let sawAny = false;
  try {
    for await (const c of src as AsyncIterable<Uint8Array>) {
      if (c.length === 0) continue;
      if (!sawAny && c.length >= 2 && !isGzip(c)) {
        throw new DatasetError(
          'BAD_MAGIC',
          `${what}: not gzip data (first bytes ${c[0]?.toString(16)} ${c[1]?.toString(16)}, expected 1f 8b)`,
        );
      }
      sawAny = true;
      g.push(c, false);
      while (out.length) yield out.shift()!;
    }
    if (!sawAny) throw new DatasetError('TRUNCATED', `${what}: empty file; remove it and download it again`);
    g.push(new Uint8Array(0), true);
  } catch (e) {
    throw gzipError(what, e);
  }
  while (out.length) yield out.shift()!;
}

/** Gunzips when the stream starts with the gzip magic, passes it through otherwise. */
export async function* maybeGunzip(src: ByteSource, what = 'data'): AsyncGenerator<Uint8Array> {
  const it = (src as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]
    ? (src as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
    : (async function* () {
        yield* src as Iterable<Uint8Array>;
      })();
  let first = await it.next();
  while (!first.done && first.value.length === 0) first = await it.next();
  if (first.done) return;
  const head = first.value;
  async function* rest(): AsyncGenerator<Uint8Array> {
    yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  if (isGzip(head)) yield* gunzipStream(rest(), what);
  else yield* rest();
}
