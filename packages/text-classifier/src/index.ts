// Browser-safe core: model, preprocessor, classifier task, recipes, pretokenized data codec.
import '@attnzoo/attention';
import './presets';

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
export { buildTextClassifierModel, HEAD_LAYER, INPUT_NAME, POOL_LAYER } from './model';
export { cleanText, TextPreprocessor } from './preprocessor';
export {
  decodePretokenized,
  encodePretokenized,
  isPretokenized,
  PRETOKENIZED_MAGIC,
  type Pretokenized,
  type PretokenizedHeader,
} from './pretokenized';
export {
  FINETUNE_DEFAULTS,
  FIT_DEFAULTS,
  getRecipe,
  RELEASE_RECIPES,
  RELEASE_VARIANTS,
  type ReleaseDataset,
  type ReleaseRecipe,
  SPLIT_NOTES,
} from './recipes';
