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
 * The text encoder backbone: token + position embedding → encoder blocks (the chosen attention,
 * key padding mask) → final norm (pre-norm) → masked mean or class-token pooling, one feature
 * vector per text. A builder of registered layers, as ViTBackbone: a model built from it
 * serialises as a plain functional model, so a preset's model.json rebuilds without this class.
 */
export class TextEncoderBackbone {
  static readonly className = 'attnzoo.text-classifier.TextEncoderBackbone';

  constructor(readonly config: TextClassifierConfig) {}

  /** Token ids [batch, maxLength] → pooled features [batch, width]. */
  apply(ids: SymbolicTensor): SymbolicTensor {
    const c = this.config;
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
    return new SequencePooling({
      mode: c.pooling,
      useMask: c.pooling === 'mean',
      name: POOL_LAYER,
    }).apply(c.pooling === 'mean' ? [x, mask] : x) as SymbolicTensor;
  }
}

/** The classifier: the backbone's pooled features → dropout → dense head (logits). */
export function buildTextClassifierModel(c: TextClassifierConfig): LayersModel {
  const ids = input({ shape: [c.maxLength], dtype: 'int32', name: INPUT_NAME });
  let h = new TextEncoderBackbone(c).apply(ids);
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
