// Browser-safe core: SentencePiece models from bytes (sentencepiece-js), encode/decode, special ids.
export { TokenizerError, type TokenizerErrorCode } from './errors';
export { checkTokenizerIds, type ModelTokenizer, type TokenizerIds, tokenizerIds } from './model-tokenizer';
export {
  type PieceType,
  parseSentencePieceModel,
  type SentencePieceModelInfo,
  type SentencePieceModelType,
} from './proto';
export {
  ATTNZOO_SPECIAL_IDS,
  loadSentencePiece,
  type PaddedBatch,
  type PadOptions,
  SentencePieceTokenizer,
  type SpecialIds,
} from './tokenizer';
