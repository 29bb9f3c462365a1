import { PresetError } from './errors';
import { type LoadedPreset, loadPresetFiles } from './preset';
import { getPreset, listPresets } from './registry';
import { type FetchPresetOptions, fetchPresetFiles, isHttpUrl, presetBaseUrl } from './remote';

export { PresetError, type PresetErrorCode } from './errors';
export { decodeFloat16, encodeFloat16, float16Bits, float16Value, roundToFloat16 } from './float16';
export {
  buildManifest,
  checkPresetPath,
  MANIFEST_FILE,
  type ManifestEntry,
  type PresetManifest,
  parseManifest,
  sha256Hex,
  verifyFile,
  verifyFiles,
} from './manifest';
export { renderModelCard } from './model-card';
export {
  assignWeights,
  CONFIG_FILE,
  DEFAULT_SHARD_BYTES,
  type LoadedPreset,
  loadPresetFiles,
  METADATA_FILE,
  MODEL_FILE,
  PRESET_FORMAT_VERSION,
  type PresetFilesOptions,
  packageOfClassName,
  parsePresetConfig,
  presetFiles,
  README_FILE,
  setPresetWeights,
  TOKENIZER_FILE,
} from './preset';
export { getPreset, listPresets, type PresetEntry, registerPreset, unregisterPreset } from './registry';
export {
  type ByteStore,
  cacheApiStore,
  checkPresetSize,
  DEFAULT_MAX_PRESET_BYTES,
  type FetchLike,
  type FetchPresetOptions,
  fetchPresetFiles,
  MAX_MANIFEST_BYTES,
  memoryStore,
  type ProgressCallback,
  type ProgressEvent,
  presetBaseUrl,
} from './remote';
export * from './safetensors';
export * from './safetensors-model';
export { isVersionRange, satisfiesVersion } from './semver';
export {
  type ClassSpec,
  HUB_VERSION,
  type PresetConfig,
  type PresetMetadata,
  type PresetMetric,
} from './types';
export { boundedFetch, checkPresetUrl, isLoopbackHost, MAX_REDIRECTS } from './url-policy';
export * from './weight-naming';

export interface FromPretrainedOptions extends FetchPresetOptions {
  /** For URLs: fills the `{revision}` placeholder (default `main`). */
  revision?: string;
}

/**
 * Browser-safe loader: `source` is an http(s) URL of a preset folder or the name of a registered
 * preset with a URL. Files are fetched (or taken from the Cache API / memory), verified against
 * the manifest, then the model is built. Folders, file:// URLs and packages need
 * `fromPretrained` from `@attnzoo/hub/node`.
 */
export async function fromPretrained(
  source: string,
  options: FromPretrainedOptions = {},
): Promise<LoadedPreset> {
  let url: string | undefined;
  let pin = options.manifestSha256;
  if (isHttpUrl(source)) {
    url = source;
  } else {
    const entry = getPreset(source);
    if (entry?.url) {
      url = entry.url;
      pin ??= entry.manifestSha256;
    } else {
      const known = listPresets().map((e) => e.name);
      throw new PresetError(
        'not-found',
        entry
          ? `Preset ${source} is only published as the package ${entry.package}: load it with fromPretrained from '@attnzoo/hub/node'.`
          : `Unknown preset ${JSON.stringify(source)}: pass an http(s) URL or a registered preset name` +
              (known.length
                ? ` (${known.join(', ')})`
                : ' (none registered: import the model package first)') +
              ". Folders, file:// URLs and packages load through '@attnzoo/hub/node'.",
      );
    }
  }
  const base = presetBaseUrl(url, options.revision);
  const files = await fetchPresetFiles(base, { ...options, manifestSha256: pin });
  return loadPresetFiles(files, base);
}

/** How a task's `fromPretrained` fetches preset files. */
export type PresetLoader = (source: string, options?: FromPretrainedOptions) => Promise<LoadedPreset>;

/**
 * A task's preset loader, one per model family: the browser-safe `fromPretrained` until the
 * family's Node entry calls `set` with `@attnzoo/hub/node`'s (folders, packages, disk cache).
 * Every family installs it the same way: `setPresetLoader(fromPretrained)` in its `node.ts`.
 */
export function presetLoaderSlot(): {
  load: PresetLoader;
  set: (loader: PresetLoader) => void;
} {
  let loader: PresetLoader = fromPretrained;
  return {
    load: (source, options) => loader(source, options),
    set: (next) => {
      loader = next;
    },
  };
}
