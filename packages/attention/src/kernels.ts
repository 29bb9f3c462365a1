// @attnzoo/attention/kernels: the fused WebGPU kernels and their switches (on by default where
// they apply; the layers in the main entry call them).
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
