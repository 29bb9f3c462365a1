// Node entry: everything from the browser-safe core, with presets loaded from folders, file://
// and https:// URLs and installed model-release packages, and saved to folders. Training,
// packing and evaluating the vit-* releases is tooling: `attnzoo release` in apps/cli.
import type { PresetMetadata } from '@attnzoo/hub';
import { fromPretrained, save } from '@attnzoo/hub/node';
import { type ImageClassifier, setPresetLoader } from './classifier';

setPresetLoader(fromPretrained);

export {
  DEFAULT_DATA_FILES,
  defaultDataSource,
  type LoadImageDataOptions,
  loadImageData,
} from './datasets-node';
export * from './index';

/** Saves a classifier as a preset folder (config.json from the classifier, float16 weights by default). */
export async function saveClassifier(
  classifier: ImageClassifier,
  dir: string,
  metadata: PresetMetadata,
  options: { float16?: boolean; overwrite?: boolean } = {},
) {
  return save(classifier.model, dir, metadata, {
    config: classifier.presetConfig(),
    float16: options.float16 ?? true,
    overwrite: options.overwrite,
  });
}
