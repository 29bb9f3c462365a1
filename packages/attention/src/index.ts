import './register';

export { type AttentionCost, type AttentionShape, attentionCost, type ModelCost, modelCost } from './cost';
export { TransformerDecoderBlock, type TransformerDecoderBlockConfig } from './decoder-block';
export { Dropout, type DropoutArgs } from './dropout';
export { embeddingLookup } from './embedding-lookup';
export { type TransformerBlockConfig, TransformerEncoderBlock } from './encoder-block';
export { FeedForward, type FeedForwardConfig } from './feed-forward';
export { INITIALIZER_NAMES, initializerByName } from './initializer';
export { KeyPaddingMask, type KeyPaddingMaskArgs } from './key-padding-mask';
export { LayerNormalization, type LayerNormalizationArgs } from './layer-normalization';
export { causalBias, lowerTriangle, MASKED_SCORE, paddingBias } from './masks';
export { MultiHeadAttention, type MultiHeadAttentionArgs } from './multi-head-attention';
export { PatchEmbedding, type PatchEmbeddingArgs } from './patch-embedding';
export { packageOfClassName, SERIALIZATION_PREFIX } from './register';
export {
  type AttendOptions,
  type AttentionHeadsOptions,
  attentionHeads,
  scaledDotProductAttention,
} from './scaled-dot-product';
export { SequencePooling, type SequencePoolingArgs } from './sequence-pooling';
export type { SymbolicOrTensor } from './symbolic';
export { TokenAndPositionEmbedding, type TokenAndPositionEmbeddingArgs } from './token-position-embedding';
export { ATTENTION_VARIANTS, type AttentionVariant, assertAttentionVariant, projectionsOf } from './variants';
