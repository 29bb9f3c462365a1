/**
 * Models and presets ⇄ safetensors. Tensor names are the tfjs weight names of the preset's
 * model.json (`vit_block0_attention/query_kernel`, ...), shapes as tfjs holds them (dense kernels
 * [in, out]); `__metadata__` carries `format: attnzoo`, the preset's name and its config.json, so
 * the file alone is enough to rebuild the model. Browser-safe.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { PresetError } from './errors';
import { float16Bits, float16Value } from './float16';
import { MANIFEST_FILE, readUtf8 } from './manifest';
import {
  CONFIG_FILE,
  type LoadedPreset,
  METADATA_FILE,
  MODEL_FILE,
  presetFiles,
  README_FILE,
  TOKENIZER_FILE,
} from './preset';
import {
  type DecodedSafetensors,
  type DecodeSafetensorsOptions,
  decodeSafetensors,
  encodeSafetensors,
  type SafetensorsDtype,
} from './safetensors';
import type { PresetConfig, PresetMetadata } from './types';
import { type NamedValues, SAFETENSORS_NAMES_KEY, type WeightNaming, weightNaming } from './weight-naming';

/** `__metadata__` keys attnzoo writes. */
export const SAFETENSORS_FORMAT = 'attnzoo';
export const SAFETENSORS_FORMAT_KEY = 'format';
export const SAFETENSORS_PRESET_KEY = 'attnzoo.preset';
export const SAFETENSORS_CONFIG_KEY = 'attnzoo.config';

/** A tfjs model, or a task object holding one (`ImageClassifier`, `TextClassifier`, `translator.models`). */
export type ModelLike = LayersModel | { model: LayersModel };

function layersModel(model: ModelLike): LayersModel {
  // a tf.Sequential has a `model` too, but is itself the model to use
  if (typeof (model as Partial<LayersModel>).getWeights === 'function') return model as LayersModel;
  const inner = (model as { model?: Partial<LayersModel> } | null)?.model;
  if (inner && typeof inner.getWeights === 'function') return inner as LayersModel;
  throw new TypeError(
    'Pass a tf.LayersModel or an object holding one as `model` (a classifier; for a Translator, translator.models).',
  );
}

export interface ExportSafetensorsOptions {
  /** How values are stored (default float32: exact). */
  dtype?: SafetensorsDtype;
  /** The preset's name (metadata.json `name`), written as `attnzoo.preset`. */
  preset?: string;
  /** What the task package's save() writes as config.json (an object or its JSON text), as `attnzoo.config`. */
  config?: PresetConfig | Omit<PresetConfig, 'formatVersion'> | string;
  /** More `__metadata__` entries (strings). */
  metadata?: Record<string, string>;
  /** Other names and layouts for the tensors (e.g. Hugging Face's); recorded as `attnzoo.names`. */
  naming?: WeightNaming;
}

/** The model's weights in tfjs's save order (model.json's), by their tfjs names. */
function namedWeights(model: LayersModel) {
  const seen = new Set<string>();
  const out: { name: string; variable: LayersModel['weights'][number] }[] = [];
  for (const variable of model.weights) {
    const name = variable.originalName;
    if (seen.has(name)) continue;
    seen.add(name);
    out.push({ name, variable });
  }
  return out;
}

/**
 * A safetensors file of every weight of `model`, named and shaped as in the preset's model.json,
 * with `format`, `attnzoo.preset` and `attnzoo.config` in its metadata.
 */
export function exportSafetensors(model: ModelLike, options: ExportSafetensorsOptions = {}): Uint8Array {
  const m = layersModel(model);
  const dtype = options.dtype ?? 'float32';
  const tensors = namedWeights(m).map(({ name, variable }) => {
    if (variable.dtype !== 'float32')
      throw new PresetError(
        'invalid',
        `Weight ${name} is ${variable.dtype}: safetensors export writes float32 weights only.`,
      );
    const own: NamedValues = {
      name,
      shape: variable.shape as number[],
      data: variable.read().dataSync() as Float32Array,
    };
    return { ...(options.naming ? options.naming.toExternal(own) : own), dtype };
  });
  const metadata: Record<string, string> = { [SAFETENSORS_FORMAT_KEY]: SAFETENSORS_FORMAT };
  if (options.naming) metadata[SAFETENSORS_NAMES_KEY] = options.naming.id;
  if (options.preset !== undefined) metadata[SAFETENSORS_PRESET_KEY] = options.preset;
  if (options.config !== undefined)
    metadata[SAFETENSORS_CONFIG_KEY] =
      typeof options.config === 'string' ? options.config : JSON.stringify(options.config);
  return encodeSafetensors(tensors, { ...metadata, ...options.metadata });
}

/**
 * A loaded preset as safetensors: its weights, its name and its config.json verbatim. `names`
 * picks another naming its model package registered (e.g. 'hf'); default: the tfjs names.
 */
export function exportPresetSafetensors(
  preset: LoadedPreset,
  options: Omit<ExportSafetensorsOptions, 'preset' | 'config' | 'naming'> & { names?: string } = {},
): Uint8Array {
  const config = preset.files[CONFIG_FILE]
    ? readUtf8(preset.files[CONFIG_FILE], `${CONFIG_FILE} of ${preset.source}`)
    : JSON.stringify(preset.config);
  const { names, ...rest } = options;
  const naming = names === undefined ? undefined : weightNaming(preset.config, names);
  return exportSafetensors(preset.model, { ...rest, preset: preset.metadata?.name, config, naming });
}

export interface ImportSafetensorsResult {
  /** The file's `__metadata__`. */
  metadata: Record<string, string>;
  /** Weights assigned. */
  assigned: number;
  /** Weights whose values differ from what the model held before. */
  changed: number;
  /** The dtypes the file stored. */
  dtypes: SafetensorsDtype[];
  /** Every imported value is exactly representable in float16 (a float16 preset keeps them bit for bit). */
  float16Exact: boolean;
}

const LIST_AT_MOST = 12;

function listed(items: string[]): string {
  const shown = items.slice(0, LIST_AT_MOST).join(', ');
  return items.length > LIST_AT_MOST ? `${shown} and ${items.length - LIST_AT_MOST} more` : shown;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * Loads a safetensors file (bytes, or an already decoded one) into a built model. Every name and
 * shape is checked first (missing, extra and mismatched weights are listed in one PresetError);
 * only when all fit is any weight assigned, so a model is never half loaded.
 */
export function importSafetensors(
  model: ModelLike,
  file: Uint8Array | DecodedSafetensors,
  options: DecodeSafetensorsOptions & { naming?: WeightNaming } = {},
): ImportSafetensorsResult {
  const m = layersModel(model);
  const source = options.source ?? 'the safetensors file';
  const decoded = file instanceof Uint8Array ? decodeSafetensors(file, options) : file;
  const namesId = decoded.metadata[SAFETENSORS_NAMES_KEY];
  if (namesId !== undefined && namesId !== options.naming?.id)
    throw new PresetError(
      'invalid',
      `${source} names its tensors the '${namesId}' way: import it into a preset whose model package knows those names (attnzoo import does this). Nothing was loaded.`,
    );
  // Tensors under another naming come back to tfjs names and layouts; names it does not know stay as they are (and are reported below).
  const tensors = options.naming
    ? decoded.tensors.map((t) => {
        const own = options.naming!.fromExternal(t);
        return own ? { ...t, ...own } : t;
      })
    : decoded.tensors;
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const targets = namedWeights(m);
  const missing: string[] = [];
  const mismatched: string[] = [];
  for (const { name, variable } of targets) {
    const t = byName.get(name);
    if (!t) missing.push(name);
    else if (t.shape.length !== variable.shape.length || t.shape.some((d, i) => d !== variable.shape[i]))
      mismatched.push(
        `${name} is [${t.shape.join(',')}] in the file, [${variable.shape.join(',')}] in the model`,
      );
  }
  const known = new Set(targets.map((t) => t.name));
  const extra = tensors.map((t) => t.name).filter((n) => !known.has(n));
  if (missing.length || mismatched.length || extra.length) {
    const parts = [
      missing.length ? `missing ${missing.length} weight(s) the model needs: ${listed(missing)}` : '',
      extra.length ? `${extra.length} tensor(s) the model has no place for: ${listed(extra)}` : '',
      mismatched.length ? `${mismatched.length} shape mismatch(es): ${listed(mismatched)}` : '',
    ].filter(Boolean);
    const saved = decoded.metadata[SAFETENSORS_PRESET_KEY];
    throw new PresetError(
      'shape-mismatch',
      `${source} does not fit the model (${parts.join('; ')}): it was exported from a different architecture or configuration` +
        `${saved ? ` (it says preset ${saved})` : ''}; import it into a preset built with the same config (its attnzoo.config metadata). Nothing was loaded.`,
    );
  }
  for (const t of tensors) {
    if (!t.data.every(Number.isFinite))
      throw new PresetError(
        'invalid',
        `${source} holds NaN or infinite values in ${t.name}: the weights are broken (a diverged run, or a float16 export of values above 65504); export them again as float32. Nothing was loaded.`,
      );
  }
  let changed = 0;
  let float16Exact = true;
  const named: tf.NamedTensorMap = {};
  try {
    for (const { name, variable } of targets) {
      const t = byName.get(name)!;
      if (!sameBits(t.data, variable.read().dataSync() as Float32Array)) changed++;
      if (float16Exact) float16Exact = t.data.every((v) => float16Value(float16Bits(v)) === v);
      named[name] = tf.tensor(t.data, t.shape, 'float32');
    }
    m.loadWeights(named, true);
  } finally {
    tf.dispose(Object.values(named));
  }
  return {
    metadata: decoded.metadata,
    assigned: targets.length,
    changed,
    dtypes: [...new Set(tensors.map((t) => t.dtype))],
    float16Exact,
  };
}

export interface PresetFromSafetensorsOptions extends DecodeSafetensorsOptions {
  /**
   * Store the weights as float16. Default: as the base preset does, when every imported value is
   * exactly a float16 (so nothing is rounded); float32 otherwise.
   */
  float16?: boolean;
  /** The new preset's name in metadata.json (default: the base preset's). */
  name?: string;
}

export interface PresetFromSafetensors {
  /** The new preset's files (save them with writeFolderAtomic from '@attnzoo/hub/node'). */
  files: Record<string, Uint8Array>;
  result: ImportSafetensorsResult;
  float16: boolean;
}

/**
 * A new preset: `preset` (config, tokenizer, card and extra files) with the weights of a
 * safetensors file. The weights go into `preset.model` (checked first, all or nothing). When they
 * differ from the base preset's, its card's metrics no longer apply and are left out.
 */
export async function presetFromSafetensors(
  preset: LoadedPreset,
  file: Uint8Array,
  options: PresetFromSafetensorsOptions = {},
): Promise<PresetFromSafetensors> {
  const source = options.source ?? 'the safetensors file';
  const decoded = decodeSafetensors(file, { ...options, source });
  // A file written under another naming (`attnzoo export --names hf`) is read back through the base preset's.
  const namesId = decoded.metadata[SAFETENSORS_NAMES_KEY];
  const naming = namesId === undefined ? undefined : weightNaming(preset.config, namesId);
  const result = importSafetensors(preset.model, decoded, { source, naming });
  const wasFloat16 = preset.metadata?.weightsDtype === 'float16';
  const float16 = options.float16 ?? (wasFloat16 && result.float16Exact);

  const shards = new Set<string>();
  try {
    const json = JSON.parse(readUtf8(preset.files[MODEL_FILE], MODEL_FILE)) as {
      weightsManifest?: { paths?: string[] }[];
    };
    for (const group of json.weightsManifest ?? []) for (const p of group.paths ?? []) shards.add(p);
  } catch {
    // loadPresetFiles already checked model.json
  }
  const own = new Set([MANIFEST_FILE, CONFIG_FILE, MODEL_FILE, METADATA_FILE, README_FILE, TOKENIZER_FILE]);
  const extraFiles: Record<string, Uint8Array> = {};
  for (const [name, bytes] of Object.entries(preset.files))
    if (!own.has(name) && !shards.has(name)) extraFiles[name] = bytes;

  const { date: _date, weightsDtype: _dtype, metrics, ...kept } = preset.metadata ?? ({} as PresetMetadata);
  const metadata: PresetMetadata = {
    ...kept,
    name: options.name ?? kept.name ?? 'imported',
    ...(result.changed === 0 && metrics ? { metrics } : {}),
    importedFrom: source,
  };
  const { formatVersion: _v, ...config } = preset.config;
  const files = await presetFiles(preset.model, metadata, {
    config,
    float16,
    tokenizer: preset.files[TOKENIZER_FILE],
    extraFiles,
  });
  return { files, result, float16 };
}
