import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  exportPresetSafetensors,
  fromPretrained,
  type LoadedPreset,
  PresetError,
  presetFromSafetensors,
  type SafetensorsDtype,
  weightNaming,
  writeFolderAtomic,
} from '@attnzoo/hub/node';
// The model packages register their preset names and layer classes when imported.
import '@attnzoo/vit/node';
import '@attnzoo/text-classifier/node';
import '@attnzoo/seq2seq-translator/node';
import { chooseBackend } from '../backend';
import { type Command, UsageError } from '../command';

const DTYPES: readonly SafetensorsDtype[] = ['float32', 'float16', 'bfloat16'];

/** A release folder (`models/vit-mnist-super`) holds its preset in `preset/`; anything else goes to fromPretrained. */
export async function loadPresetSource(source: string): Promise<LoadedPreset> {
  const sub = join(source, 'preset');
  if (!existsSync(join(source, 'manifest.json')) && existsSync(join(sub, 'manifest.json')))
    return fromPretrained(sub);
  return fromPretrained(source);
}

/** Writes `bytes` to `path` through a temporary sibling renamed into place: the file is whole or absent. */
async function writeFileAtomic(path: string, bytes: Uint8Array, overwrite: boolean): Promise<void> {
  const target = resolve(path);
  if (existsSync(target) && !overwrite)
    throw new PresetError(
      'exists',
      `${target} already exists: pass --overwrite to replace it, or choose another --out.`,
    );
  await mkdir(dirname(target), { recursive: true });
  const temp = join(
    dirname(target),
    `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

function megabytes(n: number): string {
  return `${(n / 1e6).toFixed(2)} MB`;
}

export interface ExportOptions {
  source: string;
  out: string;
  dtype: SafetensorsDtype;
  overwrite: boolean;
  backend?: string;
  /** Another naming the model package registered ('hf'): `out` is then a folder as that framework keeps one. */
  names?: string;
}

/** The weights file of a folder written by `export --names hf`, as transformers names it. */
export const HF_WEIGHTS_FILE = 'model.safetensors';

/**
 * `attnzoo export <preset|folder> --format safetensors --out file.safetensors`; with `--names hf`,
 * `--out` is a folder (model.safetensors, config.json, preprocessor_config.json) that transformers'
 * `from_pretrained` reads.
 */
export async function exportPreset(o: ExportOptions) {
  await chooseBackend(o.backend ?? 'cpu');
  if (existsSync(o.out) && !o.overwrite)
    throw new PresetError(
      'exists',
      `${resolve(o.out)} already exists: pass --overwrite to replace it, or choose another --out.`,
    );
  const preset = await loadPresetSource(o.source);
  try {
    const naming = o.names === undefined ? undefined : weightNaming(preset.config, o.names);
    const bytes = exportPresetSafetensors(preset, { dtype: o.dtype, names: o.names });
    if (naming) {
      const files: Record<string, Uint8Array> = { [HF_WEIGHTS_FILE]: bytes };
      for (const [name, text] of Object.entries(naming.companionFiles?.() ?? {}))
        files[name] = new TextEncoder().encode(text);
      await writeFolderAtomic(o.out, files, { overwrite: o.overwrite });
    } else await writeFileAtomic(o.out, bytes, o.overwrite);
    const tensors = preset.model.weights.length;
    return {
      out: resolve(o.out),
      ...(o.names ? { names: o.names } : {}),
      bytes: bytes.byteLength,
      tensors,
      dtype: o.dtype,
      preset: preset.metadata?.name,
    };
  } finally {
    preset.model.dispose();
  }
}

export interface ImportOptions {
  file: string;
  into: string;
  out: string;
  name?: string;
  float16?: boolean;
  overwrite: boolean;
  backend?: string;
}

/** `attnzoo import <file.safetensors> --into <preset|folder> --out <folder>`: a new preset folder. */
export async function importPreset(o: ImportOptions) {
  await chooseBackend(o.backend ?? 'cpu');
  if (existsSync(o.out) && !o.overwrite)
    throw new PresetError(
      'exists',
      `${resolve(o.out)} already exists: pass --overwrite to replace it, or choose another --out.`,
    );
  let info = await stat(o.file).catch(() => undefined);
  // A folder written by `export --names hf` (or by transformers' save_pretrained) holds model.safetensors.
  const file = info?.isDirectory() ? join(o.file, HF_WEIGHTS_FILE) : o.file;
  if (file !== o.file) info = await stat(file).catch(() => undefined);
  if (!info?.isFile())
    throw new PresetError(
      'not-found',
      `${file} is not a file: check the path (a .safetensors file, or a folder holding ${HF_WEIGHTS_FILE}).`,
    );
  const bytes = new Uint8Array(await readFile(file));
  const preset = await loadPresetSource(o.into);
  try {
    const made = await presetFromSafetensors(preset, bytes, {
      source: file,
      name: o.name,
      float16: o.float16,
    });
    await writeFolderAtomic(o.out, made.files, { overwrite: o.overwrite });
    return {
      out: resolve(o.out),
      weights: made.result.assigned,
      changed: made.result.changed,
      storedAs: made.float16 ? 'float16' : 'float32',
      fileDtypes: made.result.dtypes,
      metadata: made.result.metadata,
    };
  } finally {
    preset.model.dispose();
  }
}

function onePositional(p: string[], command: string, what: string): string {
  if (p.length === 0) throw new UsageError(`${command} needs ${what}.`);
  if (p.length > 1)
    throw new UsageError(`unexpected argument "${p[1]}". Run 'attnzoo ${command} --help' for the options.`);
  return p[0];
}

function requiredFlag(
  value: string | boolean | undefined,
  flag: string,
  command: string,
  hint: string,
): string {
  if (typeof value !== 'string' || value === '')
    throw new UsageError(`${command} needs --${flag} <${hint}>.`);
  return value;
}

export const exportCommand: Command = {
  path: ['export'],
  summary:
    'export <preset|folder> --format safetensors --out file.safetensors: the weights with their tfjs names, the config in the metadata',
  options: {
    format: { type: 'string', default: 'safetensors', description: 'the file format (safetensors)' },
    out: { type: 'string', description: 'the file to write (with --names hf: the folder)' },
    names: {
      type: 'string',
      description:
        "hf: Hugging Face names and layouts (SDPA ViTs: transformers' ViTForImageClassification), written as a folder with its config.json",
    },
    dtype: { type: 'string', default: 'float32', description: 'float32, float16 or bfloat16' },
    overwrite: { type: 'boolean', description: 'replace an existing --out file' },
    backend: { type: 'string', default: 'cpu', description: 'tfjs backend used to read the weights' },
    json: { type: 'boolean', description: 'print a JSON summary' },
  },
  run: async (v, p) => {
    const source = onePositional(p, 'export', 'a preset name or folder');
    if (v.format !== 'safetensors') throw new UsageError(`--format must be safetensors, got "${v.format}".`);
    const dtype = String(v.dtype) as SafetensorsDtype;
    if (!DTYPES.includes(dtype))
      throw new UsageError(`--dtype must be one of ${DTYPES.join(', ')}, got "${v.dtype}".`);
    const r = await exportPreset({
      source,
      out: requiredFlag(v.out, 'out', 'export', 'file.safetensors'),
      dtype,
      overwrite: Boolean(v.overwrite),
      backend: v.backend as string | undefined,
      ...(v.names !== undefined ? { names: String(v.names) } : {}),
    });
    if (v.json) console.log(JSON.stringify(r, null, 2));
    else
      console.log(
        `wrote ${r.tensors} tensors (${r.dtype}, ${megabytes(r.bytes)}${r.names ? `, ${r.names} names` : ''}) of ${r.preset ?? source} to ${r.out}`,
      );
  },
};

export const importCommand: Command = {
  path: ['import'],
  summary:
    'import <file.safetensors|folder> --into <preset|folder> --out <folder>: a new preset with the weights of a safetensors file (tfjs or Hugging Face names)',
  options: {
    into: {
      type: 'string',
      description: 'the preset whose architecture, config and tokenizer the weights fit',
    },
    out: { type: 'string', description: 'the new preset folder' },
    name: { type: 'string', description: "the new preset's name in its card (default: the --into preset's)" },
    float16: {
      type: 'boolean',
      description: 'store the weights as float16 (default: as --into does, when no value would be rounded)',
    },
    float32: { type: 'boolean', description: 'store the weights as float32' },
    overwrite: { type: 'boolean', description: 'replace an existing --out folder' },
    backend: { type: 'string', default: 'cpu', description: 'tfjs backend used to check the weights' },
    json: { type: 'boolean', description: 'print a JSON summary' },
  },
  run: async (v, p) => {
    const file = onePositional(p, 'import', 'a .safetensors file');
    if (v.float16 && v.float32) throw new UsageError('pass --float16 or --float32, not both.');
    const r = await importPreset({
      file,
      into: requiredFlag(v.into, 'into', 'import', 'preset|folder'),
      out: requiredFlag(v.out, 'out', 'import', 'folder for the new preset'),
      name: v.name as string | undefined,
      float16: v.float16 ? true : v.float32 ? false : undefined,
      overwrite: Boolean(v.overwrite),
      backend: v.backend as string | undefined,
    });
    if (v.json) console.log(JSON.stringify(r, null, 2));
    else
      console.log(
        `imported ${r.weights} weights (${r.changed} differ from the --into preset's) as ${r.storedAs}; preset written to ${r.out}` +
          (r.changed ? ': its card has no metrics for these weights; run attnzoo evaluate on it' : ''),
      );
  },
};
