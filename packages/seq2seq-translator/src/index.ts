export { checkConfig, DEFAULT_CONFIG, type TranslatorConfig } from './config';
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
export { buildTranslator, LAYER_NAMES, type TranslatorModels } from './model';
