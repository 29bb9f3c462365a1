// Node entry: presets from folders, packages and URLs, and the release data sets from their
// archives or pre-tokenized files. Training and packing the textcls-* releases is tooling:
// `attnzoo release` in apps/cli.
import { fromPretrained } from '@attnzoo/hub/node';
import { setPresetLoader } from './classifier';

setPresetLoader((source, options) => fromPretrained(source, options));

export {
  datasetOfFile,
  loadTextSplits,
  loadTrainingData,
  POLARITY_FILE,
  sha256Bytes,
  type TrainingData,
} from './data-node';
export * from './index';
