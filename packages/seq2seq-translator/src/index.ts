export { buildTranslator, LAYER_NAMES, type TranslatorModels } from './backbone';
export { checkConfig, DEFAULT_CONFIG, type TranslatorConfig } from './config';
export {
  type EncodedPairs,
  encodePairs,
  headPairs,
  type ParallelCorpus,
  type ParallelSplits,
  type SplitOptions,
  sentenceKey,
  splitParallel,
  type TokenIds,
} from './data';
export {
  beamSearchDecode,
  type DecodeOptions,
  type DecodeResult,
  decode,
  greedyDecode,
} from './decoding/search';
export {
  CachedStepDecoder,
  type DecodingCache,
  FullStepDecoder,
  type StepDecoder,
} from './decoding/step-decoder';
export { encodeCorpus, type FitOptions, fitTranslator, pairBatches } from './fit';
export {
  type BleuOptions,
  type BleuScore,
  bleuSignature,
  computeBleu,
  corpusBleu,
  SACREBLEU_VERSION,
} from './metrics/bleu';
export { type ChrfOptions, type ChrfScore, corpusChrf } from './metrics/chrf';
export { pythonSplit, tokenize13a } from './metrics/tokenizer-13a';
export { TranslatorPreprocessor, type TranslatorTokenizer } from './preprocessor';
export {
  type ArchitectureConfig,
  FINETUNE_DEFAULTS,
  FIT_DEFAULTS,
  presetArchitecture,
  RELEASE_CHECK_SENTENCES,
  RELEASE_TRAINING,
  RELEASE_VOCABULARY_SIZE,
  TRANSLATOR_PRESETS,
} from './presets';
export {
  type EvaluateResult,
  PRESET_TASK_CLASS,
  setPresetLoader,
  type TranslateOptions,
  type TranslateResult,
  type TranslationDetail,
  Translator,
} from './translator';
