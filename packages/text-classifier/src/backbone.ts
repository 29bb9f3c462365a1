import {
  Dropout,
  KeyPaddingMask,
  LayerNormalization,
  SequencePooling,
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
import type { TextClassifierConfig } from './config';

export const INPUT_NAME = 'token_ids';
export const HEAD_LAYER = 'classifier_head';
export const POOL_LAYER = 'text_pool';

/**
 * Token + position embedding → encoder blocks (chosen attention, key padding mask) → final norm
 * (pre-norm) → masked mean or class-token pooling → dropout → dense head (logits).
 */
export function buildTextClassifierModel(c: TextClassifierConfig): LayersModel {
  const ids = input({ shape: [c.maxLength], dtype: 'int32', name: INPUT_NAME });
  const mask = new KeyPaddingMask({ padId: c.padId, name: 'padding_mask' }).apply(ids) as SymbolicTensor;
  let x = new TokenAndPositionEmbedding({
    vocabularySize: c.vocabularySize,
    maxLength: c.maxLength,
    width: c.width,
    seed: c.seed,
    name: 'embedding',
  }).apply(ids) as SymbolicTensor;
  if (c.dropout > 0)
    x = new Dropout({ rate: c.dropout, name: 'embedding_dropout' }).apply(x) as SymbolicTensor;
  for (let i = 0; i < c.numBlocks; i++) {
    const block = new TransformerEncoderBlock({
      variant: c.variant,
      width: c.width,
      numHeads: c.numHeads,
      feedForwardWidth: c.feedForwardWidth,
      maxLength: c.maxLength,
      useKeyPaddingMask: true,
      normFirst: c.normFirst,
      dropout: c.dropout,
      attentionDropout: c.attentionDropout,
      name: `encoder_${i}`,
      seed: c.seed + 10 * (i + 1),
    });
    x = block.apply(x, mask);
  }
  if (c.normFirst) x = new LayerNormalization({ name: 'final_norm' }).apply(x) as SymbolicTensor;
  const pooled = new SequencePooling({
    mode: c.pooling,
    useMask: c.pooling === 'mean',
    name: POOL_LAYER,
  }).apply(c.pooling === 'mean' ? [x, mask] : x) as SymbolicTensor;
  let h = pooled;
  if (c.dropout > 0) h = new Dropout({ rate: c.dropout, name: 'head_dropout' }).apply(h) as SymbolicTensor;
  const logits = layers
    .dense({
      units: c.numClasses,
      name: HEAD_LAYER,
      kernelInitializer: initializers.glorotUniform({ seed: c.seed + 1000 }),
    })
    .apply(h) as SymbolicTensor;
  return functionalModel({ inputs: ids, outputs: logits, name: `textcls_${c.variant}` });
}
