// Browser-safe core: backbone, preprocessor, classifier task, presets (recipes and registration), pretokenized data codec.
import '@attnzoo/attention';
import './presets';

export {
  buildTextClassifierModel,
  HEAD_LAYER,
  INPUT_NAME,
  POOL_LAYER,
  TextEncoderBackbone,
} from './backbone';
export { type FitOptions, type Prediction, setPresetLoader, TextClassifier } from './classifier';
export {
  DEFAULT_PREPROCESSOR,
  type TextClassifierConfig,
  type TextClassifierOptions,
  type TextPreprocessorConfig,
  textClassifierConfig,
  validateConfig,
} from './config';
export { type EncodedTexts, encodedBatches, selectRows, spreadLimit } from './data';
export { cleanText, TextPreprocessor } from './preprocessor';
export {
  FINETUNE_DEFAULTS,
  FIT_DEFAULTS,
  getRecipe,
  RELEASE_RECIPES,
  RELEASE_VARIANTS,
  type ReleaseDataset,
  type ReleaseRecipe,
  SPLIT_NOTES,
} from './presets';
export {
  decodePretokenized,
  encodePretokenized,
  isPretokenized,
  PRETOKENIZED_MAGIC,
  type Pretokenized,
  type PretokenizedHeader,
} from './pretokenized';
