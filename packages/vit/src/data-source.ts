import type { ImageSplit } from '@attnzoo/datasets';
import type { BatchSource } from '@attnzoo/train';
import * as tf from '@tensorflow/tfjs-core';
import type { ImagePreprocessor } from './preprocessor';

export interface SplitBatchesOptions {
  batchSize: number;
  /** Reshuffle every epoch and apply the preprocessor's augmentation (training). */
  train?: boolean;
  /** Use only the first `limit` examples. */
  limit?: number;
}

/**
 * A @attnzoo/train batch source over an image data set kept on the host as uint8: each batch is
 * normalised (and, for training, augmented with the trainer's seeded RNG) in JS, then uploaded.
 * Only one batch lives on the device at a time.
 */
export function splitBatches(
  split: ImageSplit,
  preprocessor: ImagePreprocessor,
  opts: SplitBatchesOptions,
): BatchSource {
  preprocessor.checkSplit(split);
  const n = Math.min(split.count, opts.limit ?? split.count);
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batchSize must be a positive integer, got ${batchSize}.`);
  const count = Math.ceil(n / batchSize);
  const source: BatchSource = function* ({ rng }) {
    const order = opts.train ? rng.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
    const random = opts.train ? () => rng.next() : undefined;
    for (let b = 0; b < count; b++) {
      const idx = order.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
      const labels = new Int32Array(idx.length);
      for (let i = 0; i < idx.length; i++) labels[i] = split.labels[idx[i]];
      yield { xs: preprocessor.batch(split, idx, random), ys: tf.tensor1d(labels, 'int32') };
    }
  };
  source.batchesPerEpoch = count;
  return source;
}
