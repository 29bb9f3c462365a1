// Node entry: presets from folders, packages and URLs; release training, packing, fine-tuning.
import { fromPretrained } from '@attnzoo/hub/node';
import { setPresetLoader } from './classifier';

setPresetLoader((source, options) => fromPretrained(source, options));

export * from './index';
export {
  datasetOfFile,
  hardwareDescription,
  loadTextSplits,
  loadTrainingData,
  type PretokenizeOptions,
  packRelease,
  presetDirOf,
  pretokenize,
  type ReleaseSummary,
  type TrainingData,
  type TrainReleaseOptions,
  trainRelease,
  trainReleaseTokenizer,
  unpackRelease,
} from './release';
