import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from './rng';

/** One batch: model inputs and integer labels. The trainer takes ownership and disposes both. */
export interface Batch {
  xs: tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>;
  ys: tf.Tensor;
}

export interface BatchContext {
  /** 0-based epoch. */
  epoch: number;
  /** The trainer's seeded RNG: draw any shuffling from it so that runs and resumes are reproducible. */
  rng: Rng;
}

/**
 * Produces the batches of one epoch. It is called once per epoch; `batchesPerEpoch`, when set, lets
 * progress bars show an ETA from the first epoch.
 */
export type BatchSource = ((ctx: BatchContext) => Iterable<Batch> | AsyncIterable<Batch>) & {
  batchesPerEpoch?: number;
};

export interface TensorBatchesOptions {
  batchSize: number;
  /** Reshuffle every epoch with the trainer's RNG (default true). */
  shuffle?: boolean;
  /** Drop the last incomplete batch (default false). */
  dropRemainder?: boolean;
}

/**
 * Batches in-memory tensors: `xs` (or several inputs) and `ys` share their first dimension. The
 * source does not dispose `xs`/`ys`; it slices copies of them that the trainer disposes.
 */
export function tensorBatches(
  xs: tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>,
  ys: tf.Tensor,
  opts: TensorBatchesOptions,
): BatchSource {
  const { batchSize, shuffle = true, dropRemainder = false } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize must be an integer >= 1, got ${batchSize}`);
  }
  const n = ys.shape[0];
  const inputs: tf.Tensor[] = xs instanceof tf.Tensor ? [xs] : Array.isArray(xs) ? xs : Object.values(xs);
  for (const x of inputs) {
    if (x.shape[0] !== n) {
      throw new Error(
        `xs has ${x.shape[0]} examples but ys has ${n}: inputs and labels must have the same length`,
      );
    }
  }
  const full = Math.floor(n / batchSize);
  const count = dropRemainder ? full : Math.ceil(n / batchSize);
  const take = (idx: tf.Tensor1D) => {
    const g = (t: tf.Tensor) => tf.gather(t, idx);
    const bx: Batch['xs'] =
      xs instanceof tf.Tensor
        ? g(xs)
        : Array.isArray(xs)
          ? xs.map(g)
          : Object.fromEntries(Object.entries(xs).map(([k, t]) => [k, g(t)]));
    return { xs: bx, ys: g(ys) };
  };
  const source: BatchSource = function* ({ rng }) {
    const order = shuffle ? rng.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
    for (let b = 0; b < count; b++) {
      const slice = order.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
      const idx = tf.tensor1d(slice, 'int32');
      const batch = take(idx);
      idx.dispose();
      yield batch;
    }
  };
  source.batchesPerEpoch = count;
  return source;
}
