import '@attnzoo/attention';
import './presets';
import './hf-names';

export {
  type AugmentOp,
  applyOp,
  randomErasing,
  TRIVIAL_AUGMENT_OPS,
  trivialAugment,
} from './augment';
export { ViTBackbone } from './backbone';
export {
  type FitOptions,
  HEAD_LAYER,
  ImageClassifier,
  type ImageClassifierConfig,
  type Prediction,
  setPresetLoader,
} from './classifier';
export { sequenceLength, VIT_DEFAULTS, type ViTBackboneConfig, validateBackboneConfig } from './config';
export { type SplitBatchesOptions, splitBatches } from './data-source';
export {
  HF_NAMES,
  huggingFaceImageProcessorConfig,
  huggingFaceViTConfig,
  vitHuggingFaceNaming,
} from './hf-names';
export {
  checkRawImage,
  decodeImage,
  ImageError,
  isJpeg,
  isPng,
  MAX_IMAGE_BYTES,
  type RawImage,
  resizeBilinear,
  toChannels,
} from './image';
export {
  type AugmentConfig,
  augmentInto,
  type ImageInput,
  ImagePreprocessor,
  type ImagePreprocessorConfig,
  imageMismatch,
} from './preprocessor';
export {
  FINETUNE_DEFAULTS,
  FIT_DEFAULTS,
  getRecipe,
  type ImageDatasetName,
  RELEASE_RECIPES,
  type ReleaseRecipe,
  releasePackageName,
  SAMPLE_SPLIT,
  type TrainingRecipe,
} from './presets';
export {
  compareWithScratch,
  scratchLike,
  type TransferComparison,
  type TransferComparisonOptions,
  type TransferRun,
  type TransferRunName,
  transferTrainingPlan,
} from './transfer';
