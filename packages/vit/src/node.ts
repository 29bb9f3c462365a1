// Node entry: everything from the browser-safe core, with presets loaded from folders, file://
// and https:// URLs and installed model-release packages, plus release training and fine-tuning.
import { fromPretrained } from '@attnzoo/hub/node';
import { setPresetLoader } from './classifier';

setPresetLoader(fromPretrained);

export {
  DEFAULT_DATA_FILES,
  defaultDataSource,
  type LoadImageDataOptions,
  loadImageData,
} from './datasets-node';
export * from './index';
export {
  evaluatePreset,
  FINETUNE_DEFAULTS,
  type FinetuneOptions,
  type FinetuneSummary,
  finetune,
  type Log,
  packFolder,
  presetSource,
  type ReleaseSummary,
  type RunEnvironment,
  SAMPLE_SPLIT,
  saveClassifier,
  type TrainReleaseOptions,
  trainRelease,
  unpackRelease,
} from './release';
