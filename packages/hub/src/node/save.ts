// Saving a preset folder: atomic writes, clear errors on a full disk or a read-only folder.
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { errorMessage, PresetError } from '../errors';
import { checkPresetPath } from '../manifest';
import { type PresetFilesOptions, presetFiles } from '../preset';
import type { PresetConfig, PresetMetadata } from '../types';

export interface SaveOptions extends PresetFilesOptions {
  /** Replace an existing preset folder (atomically). Default false: an existing folder is an error. */
  overwrite?: boolean;
}

export interface SaveResult {
  dir: string;
  /** Files written, relative to `dir`. */
  files: string[];
  /** Total bytes written. */
  bytes: number;
}

export async function writeFileSynced(path: string, bytes: Uint8Array): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true });
  const handle = await fs.open(path, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const WRITE_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS']);

/** A disk-full or permission error, as a PresetError that says what failed, what is intact and the fix. */
export function writeError(error: unknown, what: string, intact: string): PresetError | undefined {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (!code || !WRITE_ERRORS.has(code)) return undefined;
  const fix = code === 'ENOSPC' || code === 'EDQUOT' ? 'free disk space' : 'make the folder writable';
  return new PresetError(
    'write',
    `${what} failed (${errorMessage(error)}): ${intact}; ${fix}, or use another folder, and try again.`,
    {
      cause: error,
    },
  );
}

function tempSibling(dir: string, tag: string): string {
  return join(dirname(dir), `.${basename(dir)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Writes files into `dir` atomically: everything goes into a temporary sibling folder which is
 * renamed into place only when complete, so readers see the old folder or the new one, never a
 * half-written one. On failure the temporary folder is removed.
 */
export async function writeFolderAtomic(
  dir: string,
  files: Record<string, Uint8Array>,
  options: { overwrite?: boolean } = {},
): Promise<void> {
  const target = resolve(dir);
  for (const name of Object.keys(files)) checkPresetPath(name, 'the files to write');
  const exists = existsSync(target);
  if (exists && !options.overwrite) {
    throw new PresetError(
      'exists',
      `${target} already exists: pass { overwrite: true } to replace it, or choose another folder.`,
    );
  }
  await fs.mkdir(dirname(target), { recursive: true });
  const temp = tempSibling(target, 'tmp');
  try {
    await fs.mkdir(temp);
    for (const [name, bytes] of Object.entries(files))
      await writeFileSynced(join(temp, ...name.split('/')), bytes);
    if (existsSync(target)) {
      if (!options.overwrite) {
        throw new PresetError(
          'exists',
          `${target} appeared while saving: pass { overwrite: true } to replace it.`,
        );
      }
      const old = tempSibling(target, 'old');
      await fs.rename(target, old);
      try {
        await fs.rename(temp, target);
      } catch (error) {
        await fs.rename(old, target);
        throw error;
      }
      await fs.rm(old, { recursive: true, force: true });
    } else {
      await fs.rename(temp, target);
    }
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true }).catch(() => undefined);
    throw (
      writeError(
        error,
        `Saving the preset into ${target}`,
        exists ? 'the preset that was there is unchanged' : 'nothing was left behind',
      ) ?? error
    );
  }
}

/**
 * Saves a complete preset folder atomically: config.json, model.json + shards (float32, or
 * float16 with `{ float16: true }`), metadata.json, README.md model card, optional
 * tokenizer.model, and manifest.json with every file's sha256.
 */
export async function save(
  model: LayersModel,
  dir: string,
  metadata: PresetMetadata,
  options: SaveOptions = {},
): Promise<SaveResult> {
  if (existsSync(dir) && !options.overwrite) {
    throw new PresetError(
      'exists',
      `${resolve(dir)} already exists: pass { overwrite: true } to replace it, or choose another folder.`,
    );
  }
  const files = await presetFiles(model, metadata, options);
  await writeFolderAtomic(dir, files, { overwrite: options.overwrite });
  return {
    dir: resolve(dir),
    files: Object.keys(files).sort(),
    bytes: Object.values(files).reduce((n, b) => n + b.byteLength, 0),
  };
}

/** What every task is, for saving: its model, the config that rebuilds it, its tokenizer when it has one. */
export interface PresetTask {
  readonly model: LayersModel;
  presetConfig(): Omit<PresetConfig, 'formatVersion'>;
  readonly tokenizer?: { readonly bytes?: Uint8Array };
}

/**
 * Saves any task (`ImageClassifier`, `TextClassifier`, `Translator`) as a preset folder: its
 * config, its tokenizer when it has one, float16 weights unless `float16: false`.
 */
export function savePreset(
  task: PresetTask,
  dir: string,
  metadata: PresetMetadata,
  options: Omit<SaveOptions, 'config' | 'tokenizer'> = {},
): Promise<SaveResult> {
  return save(task.model, dir, metadata, {
    ...options,
    config: task.presetConfig(),
    float16: options.float16 ?? true,
    tokenizer: task.tokenizer?.bytes,
  });
}
