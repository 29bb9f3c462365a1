import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, models } from '@tensorflow/tfjs-layers';
import { errorMessage, PresetError } from './errors';
import { encodeFloat16 } from './float16';
import {
  buildManifest,
  checkPresetPath,
  MANIFEST_FILE,
  type PresetManifest,
  parseJson,
  parseManifest,
  utf8,
  verifyFiles,
} from './manifest';
import { renderModelCard } from './model-card';
import { HUB_VERSION, type PresetConfig, type PresetMetadata } from './types';

/** The preset format this hub writes; it reads this one and older ones. */
export const PRESET_FORMAT_VERSION = 1;

export const CONFIG_FILE = 'config.json';
export const MODEL_FILE = 'model.json';
export const METADATA_FILE = 'metadata.json';
export const README_FILE = 'README.md';
export const TOKENIZER_FILE = 'tokenizer.model';

/** Default shard size, as in tfjs converters. */
export const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;

export interface PresetFilesOptions {
  /** Task, backbone and preprocessor class names and configs; `formatVersion` is added. */
  config?: Omit<PresetConfig, 'formatVersion'>;
  /** Store float32 weights as IEEE float16 (tfjs `quantization: {dtype: 'float16'}`): half the size. */
  float16?: boolean;
  /** Tokenizer bytes, stored as tokenizer.model. */
  tokenizer?: Uint8Array;
  /** More files to ship (paths relative to the preset folder); covered by the manifest. */
  extraFiles?: Record<string, Uint8Array | string>;
  /** Weight shard size in bytes (default 4 MiB). */
  shardBytes?: number;
}

interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: Record<string, unknown>;
  trainingConfig?: unknown;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** The bytes one weight takes in a shard. */
function weightByteLength(spec: tf.io.WeightsManifestEntry, where = 'the model'): number {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.quantization) {
    const per = { uint8: 1, uint16: 2, float16: 2 }[spec.quantization.dtype as string];
    if (!per)
      throw new PresetError(
        'invalid',
        `Weight ${spec.name} of ${where} has unknown quantization ${spec.quantization.dtype}: fetch or save the preset again.`,
      );
    return size * per;
  }
  const per = { float32: 4, int32: 4, bool: 1 }[spec.dtype as string];
  if (!per) {
    throw new PresetError(
      'invalid',
      `Weight ${spec.name} of ${where} has dtype ${spec.dtype}, which presets do not store: fetch or save the preset again.`,
    );
  }
  return size * per;
}

/**
 * Everything a preset folder holds, in memory: config.json, model.json with its weight shards,
 * metadata.json, README.md, optional tokenizer.model and extra files, and manifest.json with
 * the sha256 of all of them. Browser-safe; `save` in `@attnzoo/hub/node` writes it to disk.
 */
export async function presetFiles(
  model: LayersModel,
  metadata: PresetMetadata,
  options: PresetFilesOptions = {},
): Promise<Record<string, Uint8Array>> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.modelTopology || !artifacts.weightSpecs) {
    throw new PresetError('invalid', 'The model produced no topology or weights to save.');
  }
  const source = new Uint8Array(
    artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0),
  );

  // Re-encode (float16) and lay out the weights.
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const spec of artifacts.weightSpecs) {
    const length = weightByteLength(spec);
    const bytes = source.subarray(offset, offset + length);
    offset += length;
    if (options.float16 && spec.dtype === 'float32' && !spec.quantization) {
      const values = new Float32Array(bytes.slice().buffer);
      parts.push(new Uint8Array(encodeFloat16(values).buffer));
      specs.push({ ...spec, quantization: { dtype: 'float16' } });
    } else {
      parts.push(bytes);
      specs.push({ ...spec });
    }
  }
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const weights = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    weights.set(p, at);
    at += p.byteLength;
  }
  const shardBytes = Math.max(1, Math.floor(options.shardBytes ?? DEFAULT_SHARD_BYTES));
  const shardCount = Math.max(1, Math.ceil(total / shardBytes));
  const files: Record<string, Uint8Array> = {};
  const paths: string[] = [];
  for (let i = 0; i < shardCount; i++) {
    const name = `group1-shard${i + 1}of${shardCount}.bin`;
    paths.push(name);
    files[name] = weights.slice(i * shardBytes, Math.min(total, (i + 1) * shardBytes));
  }

  const modelJson: ModelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_core}`,
    convertedBy: `@attnzoo/hub v${HUB_VERSION}`,
    modelTopology: artifacts.modelTopology as Record<string, unknown>,
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    weightsManifest: [{ paths, weights: specs }],
  };
  const config: PresetConfig = { ...options.config, formatVersion: PRESET_FORMAT_VERSION };
  const fullMetadata: PresetMetadata = {
    ...metadata,
    attnzooVersion: metadata.attnzooVersion ?? HUB_VERSION,
    tfjsVersion: metadata.tfjsVersion ?? tf.version_core,
    parameters: { ...metadata.parameters, total: metadata.parameters?.total ?? model.countParams() },
    weightsDtype: options.float16 ? 'float16' : 'float32',
    date: metadata.date ?? new Date().toISOString(),
  };

  files[CONFIG_FILE] = utf8(`${JSON.stringify(config, null, 2)}\n`);
  files[MODEL_FILE] = utf8(JSON.stringify(modelJson));
  files[METADATA_FILE] = utf8(`${JSON.stringify(fullMetadata, null, 2)}\n`);
  files[README_FILE] = utf8(renderModelCard(fullMetadata));
  if (options.tokenizer) files[TOKENIZER_FILE] = options.tokenizer;
  for (const [name, content] of Object.entries(options.extraFiles ?? {})) {
    checkPresetPath(name, 'extraFiles');
    if (name in files || name === MANIFEST_FILE) {
      throw new PresetError('invalid', `extraFiles may not replace the preset's own ${name}.`);
    }
    files[name] = typeof content === 'string' ? utf8(content) : content;
  }
  const manifest = await buildManifest(files);
  files[MANIFEST_FILE] = utf8(`${JSON.stringify(manifest, null, 2)}\n`);
  return files;
}

/** What loading a preset gives: the model and what task packages need to rebuild around it. */
export interface LoadedPreset {
  model: LayersModel;
  config: PresetConfig;
  metadata: PresetMetadata;
  manifest: PresetManifest;
  /** manifest.json and every file it lists, verified (tokenizer.model, model.json, shards, ...). */
  files: Record<string, Uint8Array>;
  /** The local folder the preset was read from (Node), if any. */
  dir?: string;
  /** Where it came from, for messages. */
  source: string;
}

/** Reads and checks config.json's format version. */
export function parsePresetConfig(bytes: Uint8Array, where: string): PresetConfig {
  const config = parseJson<PresetConfig>(bytes, `${CONFIG_FILE} of ${where}`);
  const v = config?.formatVersion;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new PresetError(
      'format-version',
      `${CONFIG_FILE} of ${where} has no valid formatVersion (found ${JSON.stringify(v)}): ` +
        'it was not written by @attnzoo/hub; re-save it with save().',
    );
  }
  if (v > PRESET_FORMAT_VERSION) {
    throw new PresetError(
      'format-version',
      `${where} uses preset format version ${v}, but this @attnzoo/hub (v${HUB_VERSION}) reads up to ` +
        `version ${PRESET_FORMAT_VERSION}: upgrade @attnzoo/hub.`,
    );
  }
  return config;
}

/** The npm package that registers an attnzoo class name (`attnzoo.<folder>.<Class>`). */
export function packageOfClassName(className: string): string | undefined {
  const m = /^attnzoo\.([a-z0-9-]+)\./.exec(className);
  return m ? `@attnzoo/${m[1]}` : undefined;
}

function explainUnknownClass(error: unknown, where: string): never {
  const message = errorMessage(error);
  const m =
    /Unknown (layer|initializer|regularizer|constraint|activation|loss|metric|class)[^:]*: ([^\s.,]+(?:\.[^\s.,]+)*)/i.exec(
      message,
    );
  if (m) {
    const className = m[2];
    const pkg = packageOfClassName(className);
    const fix = pkg
      ? `import '${pkg}' (npm install ${pkg}) before loading, so that it registers its layers`
      : 'import the package that registers this class before loading';
    throw new PresetError('unknown-class', `${where} uses the unknown class name ${className}: ${fix}.`, {
      cause: error,
    });
  }
  throw new PresetError('invalid', `Cannot rebuild the model of ${where}: ${message}`, { cause: error });
}

function sameShape(a: readonly number[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Loads weights (manifest entries + their concatenated bytes) into `model`, after checking
 * every name and shape: nothing is assigned unless all of them fit.
 */
export function assignWeights(
  model: LayersModel,
  specs: tf.io.WeightsManifestEntry[],
  data: Uint8Array,
  where: string,
): void {
  const targets = new Map<string, { layer: string; shape: number[] }>();
  for (const layer of model.layers) {
    for (const w of layer.weights)
      targets.set(w.originalName, { layer: layer.name, shape: w.shape as number[] });
  }
  const unseen = new Set(targets.keys());
  for (const spec of specs) {
    const target = targets.get(spec.name);
    if (!target) {
      throw new PresetError(
        'shape-mismatch',
        `${where} holds weights '${spec.name}' that the model has no place for: ` +
          'the preset was saved from a different architecture or configuration.',
      );
    }
    unseen.delete(spec.name);
    if (!sameShape(spec.shape, target.shape)) {
      throw new PresetError(
        'shape-mismatch',
        `Weights for layer '${target.layer}' ('${spec.name}') have shape [${spec.shape.join(',')}] in the preset ` +
          `but the model expects [${target.shape.join(',')}]: the preset was saved from a different configuration (${where}).`,
      );
    }
  }
  if (unseen.size) {
    const [first] = unseen;
    throw new PresetError(
      'shape-mismatch',
      `${where} has no weights for ${[...unseen].map((n) => `'${n}'`).join(', ')} (layer '${targets.get(first)!.layer}'): ` +
        'the preset was saved from a different configuration.',
    );
  }
  const needed = specs.reduce((n, s) => n + weightByteLength(s, where), 0);
  if (data.byteLength < needed) {
    throw new PresetError(
      'truncated',
      `The weight shards of ${where} hold ${data.byteLength} bytes but model.json describes ${needed}: ` +
        'a shard is truncated; fetch or save the preset again.',
    );
  }
  if (data.byteLength > needed) {
    throw new PresetError(
      'invalid',
      `The weight shards of ${where} hold ${data.byteLength} bytes but model.json describes only ${needed}: ` +
        'the shards do not belong to this model.json; fetch or save the preset again.',
    );
  }
  const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  const named = tf.io.decodeWeights(buffer, specs);
  try {
    model.loadWeights(named, true);
  } finally {
    tf.dispose(Object.values(named));
  }
}

function readModelJson(files: Record<string, Uint8Array>, where: string): ModelJson {
  const json = parseJson<ModelJson>(files[MODEL_FILE], `${MODEL_FILE} of ${where}`);
  if (
    !json ||
    typeof json.modelTopology !== 'object' ||
    json.modelTopology === null ||
    !Array.isArray(json.weightsManifest)
  ) {
    throw new PresetError(
      'invalid',
      `${MODEL_FILE} of ${where} is not a tfjs layers model (needs modelTopology and weightsManifest).`,
    );
  }
  checkWeightsManifest(json.weightsManifest, where);
  checkTopology(json.modelTopology, where);
  return json;
}

/**
 * Every layer a functional model's layers take input from, and every input and output layer, is
 * a layer of that model. tfjs-layers' fromConfig waits for a missing inbound layer forever (one
 * flipped byte in a layer name hung the process; found by the preset fuzz test).
 */
function checkTopology(topology: unknown, where: string): void {
  const visit = (node: unknown, path: string): void => {
    if (typeof node !== 'object' || node === null) return;
    const config = (node as { config?: unknown }).config;
    const layers = (config as { layers?: unknown } | undefined)?.layers;
    if (!Array.isArray(layers)) return;
    const names = new Set(layers.map((l) => (l as { name?: unknown })?.name));
    const known = (name: unknown, what: string) => {
      if (!names.has(name))
        throw new PresetError(
          'invalid',
          `model.json of ${where}: ${what} names ${JSON.stringify(name)}, which is not a layer of ${path}: ` +
            'the file is corrupt or hand-edited; save the preset again.',
        );
    };
    for (const layer of layers) {
      // tfjs names the layer from its config; an outer name that differs orphans the layer.
      const inner = ((layer as { config?: { name?: unknown } })?.config ?? {}).name;
      if (inner !== undefined && inner !== (layer as { name?: unknown })?.name)
        known(inner, `layer ${JSON.stringify((layer as { name?: unknown })?.name)}'s config`);
      const inbound = (layer as { inbound_nodes?: unknown })?.inbound_nodes;
      if (Array.isArray(inbound))
        for (const call of inbound)
          if (Array.isArray(call))
            for (const ref of call)
              if (Array.isArray(ref))
                known(ref[0], `layer ${JSON.stringify((layer as { name?: unknown }).name)}'s input`);
      visit(layer, `layer ${JSON.stringify((layer as { name?: unknown })?.name)}`);
    }
    for (const key of ['input_layers', 'output_layers'] as const) {
      const list = (config as Record<string, unknown>)[key];
      if (Array.isArray(list)) for (const ref of list) if (Array.isArray(ref)) known(ref[0], key);
    }
  };
  visit(topology, 'the model');
}

/**
 * Every shard list and weight spec of model.json has the form tfjs writes: the file is untrusted,
 * and a null spec or a shape of strings would otherwise surface as a TypeError deep inside tfjs.
 */
function checkWeightsManifest(groups: unknown[], where: string): void {
  const fail = (what: string): never => {
    throw new PresetError(
      'invalid',
      `${MODEL_FILE} of ${where} has a malformed weightsManifest (${what}): the file is damaged or was not written by tfjs; fetch or save the preset again.`,
    );
  };
  for (const [g, group] of groups.entries()) {
    const { paths, weights } = (group ?? {}) as { paths?: unknown; weights?: unknown };
    if (!group || typeof group !== 'object') fail(`group ${g} is not an object`);
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string'))
      fail(`group ${g} needs "paths", a list of file names`);
    if (!Array.isArray(weights)) fail(`group ${g} needs "weights", a list`);
    for (const [i, spec] of (weights as unknown[]).entries()) {
      const w = spec as Partial<tf.io.WeightsManifestEntry> | null;
      if (!w || typeof w !== 'object' || typeof w.name !== 'string')
        fail(`weight ${i} of group ${g} has no name`);
      const shape = w!.shape as unknown;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
        fail(`weight ${w!.name} needs a shape of non-negative integers, found ${JSON.stringify(shape)}`);
      const q = w!.quantization as unknown;
      if (
        q !== undefined &&
        q !== null &&
        (typeof q !== 'object' || typeof (q as { dtype?: unknown }).dtype !== 'string')
      )
        fail(`weight ${w!.name} has a malformed quantization`);
      if (q === null) delete w!.quantization;
      const bytes = weightByteLength(w as tf.io.WeightsManifestEntry, where);
      if (!Number.isSafeInteger(bytes)) fail(`weight ${w!.name} declares ${bytes} bytes`);
    }
  }
}

/**
 * Refuses a model.json whose weights need more (or fewer) bytes than its shards hold, before a
 * model is built or a tensor allocated.
 */
function checkDeclaredBytes(specs: tf.io.WeightsManifestEntry[], data: Uint8Array, where: string): void {
  const needed = specs.reduce((n, s) => n + weightByteLength(s, where), 0);
  if (data.byteLength < needed) {
    const largest = specs.reduce((a, b) => (weightByteLength(b) > weightByteLength(a) ? b : a));
    throw new PresetError(
      'truncated',
      `${MODEL_FILE} of ${where} declares ${formatBytes(needed)} of weights (the largest, ${largest.name}, ` +
        `${formatBytes(weightByteLength(largest))}) but the shards hold ${formatBytes(data.byteLength)}: ` +
        'the files are truncated or corrupt; fetch or save the preset again.',
    );
  }
}

function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${n} bytes`;
}

/** The weight specs and shard bytes model.json refers to; every shard must be in the manifest. */
function gatherWeights(
  json: ModelJson,
  manifest: PresetManifest,
  files: Record<string, Uint8Array>,
  where: string,
): { specs: tf.io.WeightsManifestEntry[]; data: Uint8Array } {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const shards: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    for (const path of group.paths) {
      checkPresetPath(path, `${MODEL_FILE} of ${where}`);
      if (!manifest.files[path]) {
        throw new PresetError(
          'missing-file',
          `${MODEL_FILE} of ${where} needs the shard ${path}, which ${MANIFEST_FILE} does not list: ` +
            'the preset is incomplete or was edited; save or fetch it again.',
        );
      }
      shards.push(files[path]);
    }
    specs.push(...group.weights);
  }
  const total = shards.reduce((n, s) => n + s.byteLength, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const s of shards) {
    data.set(s, at);
    at += s.byteLength;
  }
  return { specs, data };
}

function requireListed(manifest: PresetManifest, where: string): void {
  const required = [CONFIG_FILE, MODEL_FILE, METADATA_FILE];
  const missing = required.filter((name) => !manifest.files[name]);
  if (missing.length) {
    throw new PresetError(
      'missing-file',
      `${where} lacks ${missing.join(', ')} in its ${MANIFEST_FILE}: a preset needs ${required.join(', ')}; ` +
        're-save it with save().',
    );
  }
}

/**
 * Verifies a preset held in memory and builds its model: the manifest first, then every file's
 * size and sha256, the format version, the class names and every weight shape. Only then are
 * weights assigned. On any error no tensor is left behind.
 */
export async function loadPresetFiles(
  files: Record<string, Uint8Array>,
  where: string,
  extra: { dir?: string } = {},
): Promise<LoadedPreset> {
  if (!files[MANIFEST_FILE]) {
    throw new PresetError(
      'missing-file',
      `${where} has no ${MANIFEST_FILE}: it is not an attnzoo preset, or an incomplete copy. ` +
        'Write presets with save() and copy the whole folder.',
    );
  }
  const manifest = parseManifest(files[MANIFEST_FILE], where);
  requireListed(manifest, where);
  await verifyFiles(manifest, files, where);
  const verified: Record<string, Uint8Array> = { [MANIFEST_FILE]: files[MANIFEST_FILE] };
  for (const name of Object.keys(manifest.files)) verified[name] = files[name];

  const config = parsePresetConfig(verified[CONFIG_FILE], where);
  const metadata = parseJson<PresetMetadata>(verified[METADATA_FILE], `${METADATA_FILE} of ${where}`);
  const json = readModelJson(verified, where);
  const { specs, data } = gatherWeights(json, manifest, verified, where);
  checkDeclaredBytes(specs, data, where);

  let model: LayersModel;
  // A topology tfjs cannot build (a layer config it rejects part-way) leaves the weights of the
  // layers built so far registered: they are disposed with the failure.
  const variablesBefore = new Set(Object.keys(tf.engine().state.registeredVariables));
  try {
    model = await models.modelFromJSON({ modelTopology: json.modelTopology } as never);
  } catch (error) {
    for (const [name, v] of Object.entries(tf.engine().state.registeredVariables))
      if (!variablesBefore.has(name)) v.dispose();
    explainUnknownClass(error, where);
  }
  try {
    assignWeights(model, specs, data, where);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, config, metadata, manifest, files: verified, source: where, ...extra };
}

/**
 * Loads a verified preset's weights into a model you built yourself (for example from
 * `config.json`), checking every name and shape first.
 */
export async function setPresetWeights(
  model: LayersModel,
  files: Record<string, Uint8Array>,
  where = 'the preset',
) {
  if (!files[MANIFEST_FILE]) {
    throw new PresetError(
      'missing-file',
      `${where} has no ${MANIFEST_FILE}: pass the files of a loaded preset.`,
    );
  }
  const manifest = parseManifest(files[MANIFEST_FILE], where);
  requireListed(manifest, where);
  await verifyFiles(manifest, files, where);
  const json = readModelJson(files, where);
  const { specs, data } = gatherWeights(json, manifest, files, where);
  checkDeclaredBytes(specs, data, where);
  assignWeights(model, specs, data, where);
}
