// Node entry: everything from the browser-safe core, with presets loaded from folders, file://
// and https:// URLs and installed model-release packages, and saved to folders. Training,
// packing and evaluating the vit-* releases is tooling: `attnzoo release` in apps/cli.
import type { PresetMetadata } from '@attnzoo/hub';
import { fromPretrained, savePreset } from '@attnzoo/hub/node';
import { type ImageClassifier, setPresetLoader } from './classifier';

setPresetLoader(fromPretrained);

export {
  DEFAULT_DATA_FILES,
  defaultDataSource,
  type LoadImageDataOptions,
  loadImageData,
} from './datasets-node';
export * from './index';
export { isLabelledImages, type LabelledImagesOptions, loadLabelledImages } from './labelled-images';

/**
 * Saves a classifier as a preset folder (float16 weights by default): `savePreset` from
 * `@attnzoo/hub/node`, which saves every family's task the same way.
 */
export function saveClassifier(
  classifier: ImageClassifier,
  dir: string,
  metadata: PresetMetadata,
  options: { float16?: boolean; overwrite?: boolean } = {},
) {
  return savePreset(classifier, dir, metadata, options);
}
