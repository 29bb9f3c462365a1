import './register';

export {
  type AttentionBenchmarkOptions,
  type AttentionBenchmarkRow,
  benchmarkAttention,
} from './bench/attention-benchmark';
export {
  benchmarkFusedAttention,
  checkFusedAttention,
  type FusedBenchmarkOptions,
  type FusedBenchmarkPath,
  type FusedBenchmarkReport,
  type FusedBenchmarkRow,
  type FusedCheckRow,
  fusedBenchmarkMarkdown,
} from './bench/fused-benchmark';
export { type AttentionCost, type AttentionShape, attentionCost, type ModelCost, modelCost } from './cost';
export { TransformerDecoderBlock, type TransformerDecoderBlockConfig } from './decoder-block';
export { Dropout, type DropoutArgs } from './dropout';
export { embeddingLookup } from './embedding-lookup';
export { type TransformerBlockConfig, TransformerEncoderBlock } from './encoder-block';
export { FeedForward, type FeedForwardConfig } from './feed-forward';
export {
  dropout,
  dropoutMultiplier,
  FUSED_DROPOUT,
  fusedDropoutActive,
  fusedDropoutEnabled,
  hashDropout,
  philox2x32,
  setFusedDropoutEnabled,
} from './fused/dropout';
export {
  FUSED_ATTENTION,
  FUSED_ATTENTION_GRAD,
  FUSED_ATTENTION_MASKED,
  type FusedAttentionOptions,
  fusedAttention,
  fusedAttentionActive,
  fusedAttentionAvailable,
  fusedAttentionCallCount,
  setFusedAttentionEnabled,
  setFusedAttentionSubgroups,
} from './fused/fused-attention';
export { fusedGelu, fusedGeluActive, setFusedGeluEnabled } from './fused/gelu';
export { fusedLayerNorm, fusedLayerNormActive, setFusedLayerNormEnabled } from './fused/layer-norm';
export { type FusedTiles, LARGE_TILES, SMALL_TILES, setFusedAttentionTiles } from './fused/tiles';
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
