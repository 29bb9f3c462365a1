import { Dropout, SequencePooling, TransformerEncoderBlock } from '@attnzoo/attention';
import { setFusedDropoutEnabled } from '@attnzoo/attention/kernels';
import { selectBackend, webgpuCensus } from '@attnzoo/runtime';
import { Rng, tensorBatches, train, withSeededRandom } from '@attnzoo/train';
import * as tf from '@tensorflow/tfjs-core';
import { model as functionalModel, input, layers } from '@tensorflow/tfjs-layers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildTextClassifierModel, textClassifierConfig } from './index';

const config = textClassifierConfig({
  vocabularySize: 40,
  maxLength: 16,
  width: 16,
  numHeads: 2,
  feedForwardWidth: 32,
  numBlocks: 1,
  dropout: 0.2,
  attentionDropout: 0.1,
  seed: 3,
});

/** Token ids with padding at the end of each row, and labels. */
function data(n: number) {
  const rng = new Rng(5);
  const ids = new Int32Array(n * config.maxLength);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const length = 4 + rng.int(config.maxLength - 4);
    for (let t = 0; t < length; t++) ids[i * config.maxLength + t] = 1 + rng.int(config.vocabularySize - 1);
    labels[i] = rng.int(2);
  }
  return { xs: tf.tensor2d(ids, [n, config.maxLength], 'int32'), ys: tf.tensor1d(labels, 'int32') };
}

/** The census of one training step (batch 8) of a fresh text classifier. */
async function stepCensus() {
  const model = withSeededRandom(new Rng(1), () => buildTextClassifierModel(config));
  const { xs, ys } = data(8);
  await tf.add(xs, 0).data(); // the batch is on the device before counting
  const { census } = await webgpuCensus(tf, () =>
    train({ model, train: tensorBatches(xs, ys, { batchSize: 8 }), epochs: 1, seed: 7, lr: 0.01 }),
  );
  tf.dispose([xs, ys]);
  model.dispose();
  return census;
}

/** Trains an encoder block with all four kinds of dropout for `steps` batches of 8; its weights. */
async function trainedBlock(seed: number, steps: number) {
  const model = withSeededRandom(new Rng(1), () => {
    const x = input({ shape: [16, 16] });
    const block = new TransformerEncoderBlock({
      variant: 'sdpa',
      width: 16,
      numHeads: 2,
      feedForwardWidth: 32,
      dropout: 0.2,
      attentionDropout: 0.1,
      name: 'b',
      seed: 3,
    });
    let h = block.apply(new Dropout({ rate: 0.2 }).apply(x) as never) as never;
    h = new Dropout({ rate: 0.2 }).apply(new SequencePooling({ mode: 'mean' }).apply(h)) as never;
    return functionalModel({ inputs: x, outputs: layers.dense({ units: 2 }).apply(h) as never });
  });
  const rng = new Rng(5);
  const n = 8 * steps;
  const xs = tf.tensor3d(
    Array.from({ length: n * 256 }, () => rng.next() - 0.5),
    [n, 16, 16],
  );
  const ys = tf.tensor1d(
    Array.from({ length: n }, () => rng.int(2)),
    'int32',
  );
  await train({ model, train: tensorBatches(xs, ys, { batchSize: 8 }), epochs: 1, seed, lr: 0.01 });
  const weights = await Promise.all(model.getWeights().map(async (w) => Array.from(await w.data())));
  tf.dispose([xs, ys]);
  model.dispose();
  return weights;
}

describe('text classifier training with dropout on the software WebGPU adapter', () => {
  beforeAll(async () => {
    await selectBackend(tf, { backend: 'webgpu', webgpu: { adapter: 'software' }, log: () => {} });
  });
  afterEach(() => setFusedDropoutEnabled(true));

  it('gives the same weights for the same trainer seed twice, other weights for another', async () => {
    // An encoder block on float inputs: the embedding's gradient (scatterND, atomic adds on
    // WebGPU) sums in varying order, so a whole text classifier is reproducible to rounding only.
    const a = await trainedBlock(7, 2);
    expect(await trainedBlock(7, 2)).toEqual(a);
    expect(await trainedBlock(8, 2)).not.toEqual(a);
  });

  it('draws no dropout mask on the host: a step uploads less, one kernel per dropout each way', async () => {
    await stepCensus(); // compiles the pipelines
    const hash = await stepCensus();
    setFusedDropoutEnabled(false);
    const stock = await stepCensus();
    // Five dropouts (embedding, attention weights, attention and feed-forward outputs, head), each
    // one dispatch forward and one backward; tfjs's uploads a float32 mask for each.
    expect(hash.otherDispatches - stock.otherDispatches).toBe(10);
    expect(stock.uploads - hash.uploads).toBeGreaterThanOrEqual(5);
    const maskElements = 8 * (3 * 16 * 16 + 2 * 16 * 16 + 16);
    expect(stock.uploadBytes - hash.uploadBytes).toBeGreaterThanOrEqual(4 * maskElements);
    expect(stock.dispatches).toBeGreaterThan(hash.dispatches);
  });
});
