import * as tf from '@tensorflow/tfjs-core';
import {
  model as functionalModel,
  input,
  type LayersModel,
  layers,
  loadLayersModel,
} from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ATTENTION_VARIANTS,
  KeyPaddingMask,
  PatchEmbedding,
  packageOfClassName,
  SequencePooling,
  TokenAndPositionEmbedding,
  TransformerDecoderBlock,
  TransformerEncoderBlock,
} from './index';
import { useBackend } from './testing/backends';
import { maxAbsDiff } from './testing/layer-weights';
import type { AttentionVariant } from './variants';

const VOCAB = 30;
const LEN = 6;
const WIDTH = 16;

/** Saves to memory in the tfjs layers format (model.json + weights) and loads it back. */
async function roundTrip(model: LayersModel): Promise<LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const json = JSON.parse(JSON.stringify(saved!.modelTopology)); // what model.json would hold
  return loadLayersModel(tf.io.fromMemory({ ...saved!, modelTopology: json }));
}

function textEncoder(variant: AttentionVariant, normFirst: boolean): LayersModel {
  const ids = input({ shape: [LEN], dtype: 'int32', name: 'ids' });
  const mask = new KeyPaddingMask({ padId: 0, name: 'mask' }).apply(ids) as never;
  let x = new TokenAndPositionEmbedding({
    vocabularySize: VOCAB,
    maxLength: LEN,
    width: WIDTH,
    name: 'embed',
    seed: 1,
  }).apply(ids) as never;
  for (let i = 0; i < 2; i++) {
    const block = new TransformerEncoderBlock({
      variant,
      width: WIDTH,
      numHeads: 4,
      feedForwardWidth: 32,
      maxLength: LEN,
      normFirst,
      useKeyPaddingMask: true,
      activation: i === 0 ? 'gelu' : 'relu',
      dropout: 0.1,
      name: `block${i}`,
      seed: 10 + i,
    });
    x = block.apply(x, mask);
  }
  const pooled = new SequencePooling({ mode: 'mean', useMask: true }).apply([x, mask] as never);
  return functionalModel({
    inputs: ids,
    outputs: layers.dense({ units: 2, activation: 'softmax' }).apply(pooled) as never,
  });
}

function translator(variant: AttentionVariant): LayersModel {
  const src = input({ shape: [LEN], dtype: 'int32', name: 'source' });
  const tgt = input({ shape: [LEN - 1], dtype: 'int32', name: 'target' });
  const srcMask = new KeyPaddingMask({ padId: 0, name: 'source_mask' }).apply(src) as never;
  const tgtMask = new KeyPaddingMask({ padId: 0, name: 'target_mask' }).apply(tgt) as never;
  const enc = new TransformerEncoderBlock({
    variant,
    width: WIDTH,
    numHeads: 2,
    feedForwardWidth: 32,
    maxLength: LEN,
    useKeyPaddingMask: true,
    name: 'enc',
  }).apply(
    new TokenAndPositionEmbedding({
      vocabularySize: VOCAB,
      maxLength: LEN,
      width: WIDTH,
      name: 'src_embed',
    }).apply(src) as never,
    srcMask,
  );
  const dec = new TransformerDecoderBlock({
    variant,
    width: WIDTH,
    numHeads: 2,
    feedForwardWidth: 32,
    maxLength: LEN - 1,
    sourceMaxLength: LEN,
    name: 'dec',
  }).apply(
    new TokenAndPositionEmbedding({
      vocabularySize: VOCAB,
      maxLength: LEN - 1,
      width: WIDTH,
      name: 'tgt_embed',
    }).apply(tgt) as never,
    enc,
    tgtMask,
    srcMask,
  );
  return functionalModel({ inputs: [src, tgt], outputs: layers.dense({ units: VOCAB }).apply(dec) as never });
}

function vit(variant: AttentionVariant): LayersModel {
  const images = input({ shape: [8, 8, 1] });
  const patches = new PatchEmbedding({ patchSize: 4, width: WIDTH, name: 'patches', seed: 3 });
  let x = patches.apply(images) as never;
  x = new TransformerEncoderBlock({
    variant,
    width: WIDTH,
    numHeads: 2,
    feedForwardWidth: 32,
    maxLength: 5,
    name: 'b',
  }).apply(x);
  const cls = new SequencePooling({ mode: 'class' }).apply(x);
  return functionalModel({ inputs: images, outputs: layers.dense({ units: 3 }).apply(cls) as never });
}

const ids = () =>
  tf.tensor2d(
    [
      [5, 9, 2, 7, 0, 0],
      [1, 3, 3, 8, 11, 4],
    ],
    [2, LEN],
    'int32',
  );

describe('save in the tfjs layers format, load back, identical outputs', () => {
  beforeAll(() => useBackend('cpu'));

  it.each(
    ATTENTION_VARIANTS.flatMap((v) => [[v, true] as const, [v, false] as const]),
  )('text encoder with %s attention (pre-norm: %s)', async (variant, normFirst) => {
    const model = textEncoder(variant, normFirst);
    const loaded = await roundTrip(model);
    expect(loaded.countParams()).toBe(model.countParams());
    const a = await (model.predict(ids()) as tf.Tensor).data();
    const b = await (loaded.predict(ids()) as tf.Tensor).data();
    expect(maxAbsDiff(a, b)).toBe(0);
  });

  it.each(ATTENTION_VARIANTS)('encoder-decoder with %s attention', async (variant) => {
    const model = translator(variant);
    const loaded = await roundTrip(model);
    const target = tf.tensor2d(
      [
        [1, 4, 6, 0, 0],
        [2, 2, 9, 3, 1],
      ],
      [2, LEN - 1],
      'int32',
    );
    const a = await (model.predict([ids(), target]) as tf.Tensor).data();
    const b = await (loaded.predict([ids(), target]) as tf.Tensor).data();
    expect(maxAbsDiff(a, b)).toBe(0);
  });

  it.each(ATTENTION_VARIANTS)('decoder with %s attention is causal end to end', async (variant) => {
    const model = translator(variant);
    const src = ids();
    const run = async (t: number[][]) =>
      (await (
        model.predict([src, tf.tensor2d(t, [2, LEN - 1], 'int32')]) as tf.Tensor
      ).array()) as number[][][];
    const base = await run([
      [1, 4, 6, 7, 5],
      [2, 2, 9, 3, 1],
    ]);
    const changed = await run([
      [1, 4, 6, 12, 13],
      [2, 2, 9, 3, 1],
    ]);
    for (let t = 0; t < 3; t++) expect(maxAbsDiff(changed[0][t], base[0][t])).toBeLessThan(1e-5);
    expect(maxAbsDiff(changed[0][3], base[0][3])).toBeGreaterThan(1e-4);
  });

  it.each(ATTENTION_VARIANTS)('ViT-style patch model with %s attention', async (variant) => {
    const model = vit(variant);
    const loaded = await roundTrip(model);
    const images = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 7);
    expect(
      maxAbsDiff(
        await (model.predict(images) as tf.Tensor).data(),
        await (loaded.predict(images) as tf.Tensor).data(),
      ),
    ).toBe(0);
  });

  it('writes class names that say which package registers them', async () => {
    let topology: unknown;
    await textEncoder('super', true).save(
      tf.io.withSaveHandler(async (a) => {
        topology = a.modelTopology;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const text = JSON.stringify(topology);
    expect(text).toContain('"class_name":"attnzoo.attention.MultiHeadAttention"');
    expect(text).toContain('"class_name":"attnzoo.attention.TokenAndPositionEmbedding"');
    expect(packageOfClassName('attnzoo.attention.MultiHeadAttention')).toBe('@attnzoo/attention');
    expect(packageOfClassName('attnzoo.text-classifier.TextClassifierHead')).toBe('@attnzoo/text-classifier');
    expect(packageOfClassName('Dense')).toBeUndefined();
  });
});

describe('embeddings', () => {
  beforeAll(() => useBackend('cpu'));

  it('PatchEmbedding cuts non-overlapping patches in row-major order', async () => {
    const layer = new PatchEmbedding({ patchSize: 2, width: 4, classToken: false, positionEmbedding: false });
    const image = tf.tensor4d([...Array(16).keys()], [1, 4, 4, 1]);
    layer.apply(image);
    // Identity-like kernel: the token equals the flattened patch.
    layer.setWeights([tf.eye(4), tf.zeros([4])]);
    const tokens = (await (layer.apply(image) as tf.Tensor).array()) as number[][][];
    expect(tokens[0]).toEqual([
      [0, 1, 4, 5],
      [2, 3, 6, 7],
      [8, 9, 12, 13],
      [10, 11, 14, 15],
    ]);
  });

  it('PatchEmbedding rejects images that do not divide into patches', () => {
    expect(() => new PatchEmbedding({ patchSize: 3, width: 4 }).apply(tf.zeros([1, 8, 8, 1]))).toThrow(
      'Image 8×8 is not divisible into 3×3 patches: resize or pick another patchSize.',
    );
  });

  it('TokenAndPositionEmbedding rejects sequences longer than maxLength', () => {
    const layer = new TokenAndPositionEmbedding({ vocabularySize: 5, maxLength: 3, width: 4 });
    expect(() => layer.apply(tf.zeros([1, 4], 'int32'))).toThrow(
      'Input has 4 tokens but the position embedding holds 3: truncate to maxLength.',
    );
  });

  it('SequencePooling takes the class token or the masked mean', async () => {
    const x = tf.tensor3d([
      [
        [1, 2],
        [3, 4],
        [100, 100],
      ],
    ]);
    const mask = tf.tensor2d([[1, 1, 0]]);
    expect(await (new SequencePooling({ mode: 'class' }).apply(x) as tf.Tensor).array()).toEqual([[1, 2]]);
    expect(
      await (new SequencePooling({ mode: 'mean', useMask: true }).apply([x, mask]) as tf.Tensor).array(),
    ).toEqual([[2, 3]]);
    const mean = (await (new SequencePooling({ mode: 'mean' }).apply(x) as tf.Tensor).data()) as Float32Array;
    expect(maxAbsDiff(mean, [104 / 3, 106 / 3])).toBeLessThan(1e-5);
  });

  it('KeyPaddingMask marks padding ids with 0', async () => {
    const mask = new KeyPaddingMask({ padId: 0 }).apply(
      tf.tensor2d([[4, 0, 2]], [1, 3], 'int32'),
    ) as tf.Tensor;
    expect(await mask.array()).toEqual([[1, 0, 1]]);
  });

  it('the encoder block insists on its mask setting', () => {
    const block = new TransformerEncoderBlock({
      variant: 'sdpa',
      width: 8,
      numHeads: 2,
      feedForwardWidth: 8,
      name: 'm',
    });
    expect(() => block.apply(tf.zeros([1, 3, 8]), tf.ones([1, 3]))).toThrow(
      /built with useKeyPaddingMask=false/,
    );
  });
});
