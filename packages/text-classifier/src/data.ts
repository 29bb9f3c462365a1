import type { BatchSource } from '@attnzoo/train';
import * as tf from '@tensorflow/tfjs-core';

/** Token ids already padded to a fixed length, with their labels: what training and evaluation consume. */
export interface EncodedTexts {
  /** Row-major `[count, maxLength]`; Uint16 where the vocabulary fits (pretokenized files). */
  ids: Int32Array | Uint16Array;
  labels: Int32Array | Uint8Array;
  count: number;
  maxLength: number;
}

/** Rows `indices` of `data` (a stratified or limited subset). */
export function selectRows(data: EncodedTexts, indices: ArrayLike<number>): EncodedTexts {
  const L = data.maxLength;
  const ids = new Int32Array(indices.length * L);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    ids.set(data.ids.subarray(k * L, (k + 1) * L), i * L);
    labels[i] = data.labels[k];
  }
  return { ids, labels, count: indices.length, maxLength: L };
}

/**
 * `limit` rows spread evenly over the data (every k-th row), so that a slice of a label-sorted
 * split such as IMDB's holds every label in its proportion.
 */
export function spreadLimit(data: EncodedTexts, limit?: number): EncodedTexts {
  if (limit === undefined || limit >= data.count) return data;
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`limit must be a positive integer, got ${limit}`);
  const idx = Array.from({ length: limit }, (_, i) => Math.floor((i * data.count) / limit));
  return selectRows(data, idx);
}

/**
 * Batches of `[batch, maxLength]` int32 ids and int32 labels. Only the current batch lives on
 * the device, so a 25k × 512 split does not take GPU memory all at once.
 */
export function encodedBatches(
  data: EncodedTexts,
  opts: { batchSize: number; shuffle?: boolean },
): BatchSource {
  const { batchSize, shuffle = false } = opts;
  const L = data.maxLength;
  const n = data.count;
  const count = Math.ceil(n / batchSize);
  const source: BatchSource = function* ({ rng }) {
    const order = shuffle ? rng.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
    for (let b = 0; b < count; b++) {
      const rows = order.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
      const ids = new Int32Array(rows.length * L);
      const ys = new Int32Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        ids.set(data.ids.subarray(rows[i] * L, (rows[i] + 1) * L), i * L);
        ys[i] = data.labels[rows[i]];
      }
      yield { xs: tf.tensor2d(ids, [rows.length, L], 'int32'), ys: tf.tensor1d(ys, 'int32') };
    }
  };
  source.batchesPerEpoch = count;
  return source;
}
