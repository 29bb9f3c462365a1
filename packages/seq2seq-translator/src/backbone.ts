import {
  KeyPaddingMask,
  LayerNormalization,
  TokenAndPositionEmbedding,
  TransformerDecoderBlock,
  TransformerEncoderBlock,
} from '@attnzoo/attention';
import {
  model as functionalModel,
  input,
  type LayersModel,
  layers,
  type SymbolicTensor,
} from '@tensorflow/tfjs-layers';
import { checkConfig, type TranslatorConfig } from './config';

/** Layer names the incremental decoder reads (kept stable: presets store weights under them). */
export const LAYER_NAMES = {
  embedding: 'shared_embedding',
  sourceMask: 'source_mask',
  targetMask: 'target_mask',
  encoderNorm: 'encoder_norm',
  decoderNorm: 'decoder_norm',
  logits: 'logits',
  encoderBlock: (i: number) => `enc${i}`,
  decoderBlock: (i: number) => `dec${i}`,
};

export interface TranslatorModels {
  /** [source ids [B, S], decoder input ids [B, T]] → logits [B, T, vocab]: what training and presets use. */
  model: LayersModel;
  /** source ids → encoder output [B, S, width]. */
  encoder: LayersModel;
  /** [encoder output, source ids, decoder input ids] → logits: full recomputation over a prefix. */
  decoder: LayersModel;
}

/**
 * The encoder-decoder Transformer: one token+position embedding shared by both sides (one
 * SentencePiece vocabulary), pre-norm encoder blocks with a source padding mask, pre-norm
 * decoder blocks (causal self-attention, cross-attention over the encoder output), final
 * layer norms and a dense output layer. The three returned models share their layers.
 */
export function buildTranslator(configIn: TranslatorConfig): TranslatorModels {
  const config = checkConfig(configIn);
  const seed = config.seed;
  const s = (k: number) => (seed == null ? undefined : seed + k);
  const embedding = new TokenAndPositionEmbedding({
    vocabularySize: config.vocabularySize,
    maxLength: Math.max(config.sourceMaxLength, config.targetMaxLength),
    width: config.width,
    name: LAYER_NAMES.embedding,
    seed: s(1),
  });
  const sourceMaskLayer = new KeyPaddingMask({ padId: config.padId, name: LAYER_NAMES.sourceMask });
  const targetMaskLayer = new KeyPaddingMask({ padId: config.padId, name: LAYER_NAMES.targetMask });
  const common = {
    variant: config.variant,
    width: config.width,
    numHeads: config.numHeads,
    feedForwardWidth: config.feedForwardWidth,
    activation: config.activation ?? 'relu',
    dropout: config.dropout,
    attentionDropout: config.attentionDropout ?? 0,
    normFirst: true,
  };
  const encoderBlocks = Array.from(
    { length: config.encoderLayers },
    (_, i) =>
      new TransformerEncoderBlock({
        ...common,
        maxLength: config.sourceMaxLength,
        useKeyPaddingMask: true,
        name: LAYER_NAMES.encoderBlock(i),
        seed: s(100 + 10 * i),
      }),
  );
  const decoderBlocks = Array.from(
    { length: config.decoderLayers },
    (_, i) =>
      new TransformerDecoderBlock({
        ...common,
        maxLength: config.targetMaxLength,
        sourceMaxLength: config.sourceMaxLength,
        name: LAYER_NAMES.decoderBlock(i),
        seed: s(500 + 10 * i),
      }),
  );
  const encoderNorm = new LayerNormalization({ epsilon: 1e-6, name: LAYER_NAMES.encoderNorm });
  const decoderNorm = new LayerNormalization({ epsilon: 1e-6, name: LAYER_NAMES.decoderNorm });
  const logits = layers.dense({ units: config.vocabularySize, name: LAYER_NAMES.logits });

  const encode = (source: SymbolicTensor) => {
    const mask = sourceMaskLayer.apply(source) as SymbolicTensor;
    let x = embedding.apply(source) as SymbolicTensor;
    for (const block of encoderBlocks) x = block.apply(x, mask);
    return encoderNorm.apply(x) as SymbolicTensor;
  };
  const decode = (encoded: SymbolicTensor, source: SymbolicTensor, target: SymbolicTensor) => {
    const sourceMask = sourceMaskLayer.apply(source) as SymbolicTensor;
    const targetMask = targetMaskLayer.apply(target) as SymbolicTensor;
    let y = embedding.apply(target) as SymbolicTensor;
    for (const block of decoderBlocks) y = block.apply(y, encoded, targetMask, sourceMask);
    return logits.apply(decoderNorm.apply(y)) as SymbolicTensor;
  };

  const source = input({ shape: [null], dtype: 'int32', name: 'source' });
  const target = input({ shape: [null], dtype: 'int32', name: 'target' });
  const encoded = encode(source);
  const model = functionalModel({
    inputs: [source, target],
    outputs: decode(encoded, source, target),
    name: 'translator',
  });
  const encoder = functionalModel({ inputs: source, outputs: encoded, name: 'translator_encoder' });
  const encoderInput = input({ shape: [null, config.width], name: 'encoder_output' });
  const decoderSource = input({ shape: [null], dtype: 'int32', name: 'decoder_source' });
  const decoderTarget = input({ shape: [null], dtype: 'int32', name: 'decoder_target' });
  const decoder = functionalModel({
    inputs: [encoderInput, decoderSource, decoderTarget],
    outputs: decode(encoderInput, decoderSource, decoderTarget),
    name: 'translator_decoder',
  });
  return { model, encoder, decoder };
}
