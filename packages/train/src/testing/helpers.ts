import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { type BatchSource, Rng, tensorBatches, withSeededRandom } from '../index';

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** A tiny MLP classifier, its initial weights drawn from `seed`. */
export function tinyModel(
  opts: { seed?: number; features?: number; classes?: number; dropout?: number; softmax?: boolean } = {},
) {
  const { seed = 1, features = 6, classes = 3, dropout = 0, softmax = true } = opts;
  return withSeededRandom(new Rng(seed), () => {
    const model = tfl.sequential();
    model.add(tfl.layers.dense({ inputShape: [features], units: 12, activation: 'relu' }));
    if (dropout > 0) model.add(tfl.layers.dropout({ rate: dropout }));
    model.add(tfl.layers.dense({ units: classes, activation: softmax ? 'softmax' : 'linear' }));
    return model;
  });
}

/** Separable synthetic data: class c has its mean at feature c. */
export function blobs(n: number, opts: { seed?: number; features?: number; classes?: number } = {}) {
  const { seed = 7, features = 6, classes = 3 } = opts;
  const rng = new Rng(seed);
  const x = new Float32Array(n * features);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(classes);
    y[i] = c;
    for (let j = 0; j < features; j++) x[i * features + j] = (j === c ? 2 : 0) + (rng.next() - 0.5);
  }
  return { xs: tf.tensor2d(x, [n, features]), ys: tf.tensor1d(y, 'int32') };
}

export function blobSource(
  n: number,
  batchSize: number,
  seed = 7,
): { source: BatchSource; dispose: () => void } {
  const { xs, ys } = blobs(n, { seed });
  return { source: tensorBatches(xs, ys, { batchSize }), dispose: () => tf.dispose([xs, ys]) };
}

export async function weightsOf(model: tfl.LayersModel): Promise<Float32Array[]> {
  return Promise.all(model.weights.map(async (w) => (await w.read().data()) as Float32Array));
}

export function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  for (let i = 0; i < a.length; i++)
    for (let j = 0; j < a[i].length; j++) m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
  return m;
}
