import {
  type AttentionVariant,
  KeyPaddingMask,
  SequencePooling,
  TokenAndPositionEmbedding,
  TransformerEncoderBlock,
} from '@attnzoo/attention';
import { selectBackend } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { model as functionalModel, input, type LayersModel, layers } from '@tensorflow/tfjs-layers';
import type { PresetMetadata } from '../types';

export const LEN = 6;
export const VOCAB = 20;

export async function useCpu(): Promise<void> {
  await selectBackend(tf, { backend: 'cpu', log: () => {} });
}

/** ids → embedding → encoder block(s) → masked mean → dense: the smallest real attnzoo model. */
export function tinyEncoder(variant: AttentionVariant, width = 8, blocks = 1): LayersModel {
  const ids = input({ shape: [LEN], dtype: 'int32', name: 'ids' });
  const mask = new KeyPaddingMask({ padId: 0, name: 'mask' }).apply(ids) as never;
  let x = new TokenAndPositionEmbedding({
    vocabularySize: VOCAB,
    maxLength: LEN,
    width,
    name: 'embed',
    seed: 1,
  }).apply(ids) as never;
  for (let i = 0; i < blocks; i++) {
    x = new TransformerEncoderBlock({
      variant,
      width,
      numHeads: 2,
      feedForwardWidth: 2 * width,
      maxLength: LEN,
      useKeyPaddingMask: true,
      name: `block${i}`,
      seed: 10 + i,
    }).apply(x, mask);
  }
  const pooled = new SequencePooling({ mode: 'mean', useMask: true, name: 'pool' }).apply([x, mask] as never);
  return functionalModel({
    inputs: ids,
    outputs: layers
      .dense({ units: 3, name: 'head', kernelInitializer: 'glorotUniform' })
      .apply(pooled) as never,
  });
}

export function sampleIds(): tf.Tensor {
  return tf.tensor2d(
    [
      [5, 9, 2, 7, 0, 0],
      [1, 3, 3, 8, 11, 4],
    ],
    [2, LEN],
    'int32',
  );
}

export async function predict(model: LayersModel): Promise<Float32Array> {
  const x = sampleIds();
  const y = model.predict(x) as tf.Tensor;
  const out = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  return out;
}

export function metadataFor(name: string): PresetMetadata {
  return {
    name,
    description: 'A tiny test model.',
    task: 'text-classification',
    license: 'apache-2.0',
    dataset: { name: 'toy', split: 'test' },
    metrics: [{ name: 'accuracy', value: 0.5, split: 'test', command: 'pnpm attnzoo eval toy' }],
    parameters: { attention: 64 },
    training: { config: { epochs: 1 }, durationSeconds: 3, hardware: 'test', backend: 'cpu' },
    reproduce: 'pnpm attnzoo train toy',
  };
}
