import {
  type AttentionVariant,
  assertAttentionVariant,
  LayerNormalization,
  TokenAndPositionEmbedding,
  TransformerEncoderBlock,
} from '@attnzoo/attention';
import {
  model as functionalModel,
  initializers,
  input,
  type LayersModel,
  layers,
  type SymbolicTensor,
} from '@tensorflow/tfjs-layers';

/** A causal language model: architecture plus the tokenizer's ids it was built for. */
export interface CausalLMConfig {
  variant: AttentionVariant;
  vocabularySize: number;
  /** Longest sequence (BOS + tokens); Super's mixing matrix is maxLength × maxLength. */
  maxLength: number;
  width: number;
  numHeads: number;
  feedForwardWidth: number;
  numLayers: number;
  dropout: number;
  padId: number;
  bosId: number;
  eosId: number;
  unkId: number;
  seed: number;
}

export const INPUT_NAME = 'token_ids';
export const HEAD_LAYER = 'lm_head';

export function checkConfig(c: CausalLMConfig): CausalLMConfig {
  assertAttentionVariant(c.variant);
  for (const key of [
    'vocabularySize',
    'maxLength',
    'width',
    'numHeads',
    'feedForwardWidth',
    'numLayers',
  ] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1)
      throw new Error(`${key} must be a positive integer, got ${c[key]}.`);
  }
  if (c.width % c.numHeads !== 0)
    throw new Error(`width ${c.width} must be a multiple of numHeads ${c.numHeads}.`);
  return c;
}

/**
 * The decoder-only backbone and its language-model head: token + position embedding, `numLayers`
 * pre-norm blocks of causal self-attention (every variant masks the future; Super also keeps its
 * token-mixing matrix lower-triangular, so no position reads a later one), a final LayerNorm and a
 * dense layer to vocabulary logits at every position. Right padding needs no mask: under causal
 * attention real positions never see the pads after them, and the loss ignores pad labels.
 */
export function buildCausalLM(c: CausalLMConfig): LayersModel {
  checkConfig(c);
  const ids = input({ shape: [null], dtype: 'int32', name: INPUT_NAME });
  let x = new TokenAndPositionEmbedding({
    vocabularySize: c.vocabularySize,
    maxLength: c.maxLength,
    width: c.width,
    seed: c.seed,
    name: 'embedding',
  }).apply(ids) as SymbolicTensor;
  for (let i = 0; i < c.numLayers; i++) {
    x = new TransformerEncoderBlock({
      variant: c.variant,
      width: c.width,
      numHeads: c.numHeads,
      feedForwardWidth: c.feedForwardWidth,
      maxLength: c.maxLength,
      causal: true,
      normFirst: true,
      dropout: c.dropout,
      name: `decoder_${i}`,
      seed: c.seed + 10 * (i + 1),
    }).apply(x);
  }
  x = new LayerNormalization({ name: 'final_norm' }).apply(x) as SymbolicTensor;
  const logits = layers
    .dense({
      units: c.vocabularySize,
      name: HEAD_LAYER,
      kernelInitializer: initializers.glorotUniform({ seed: c.seed + 1000 }),
    })
    .apply(x) as SymbolicTensor;
  return functionalModel({ inputs: ids, outputs: logits, name: `causal_lm_${c.variant}` });
}
