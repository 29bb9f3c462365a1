import * as tf from '@tensorflow/tfjs-core';
import { DatasetError } from './errors';
import { imageAt } from './image-at';
import { seededPermutation } from './random';
import { splitSize } from './splits';
import type { Split } from './types';

export interface BatchOptions {
  batchSize: number;
  /** Shuffle with this seed (a new permutation per epoch: seed + epoch). Omit to keep file order. */
  seed?: number;
  epoch?: number;
  /** Drop the last, smaller batch. */
  dropRemainder?: boolean;
  /** One-hot labels with this many classes instead of int32 class ids. */
  numClasses?: number;
  /** Images: divide pixels by 255 (default true). */
  normalize?: boolean;
  /** Text / pairs: turns a string into token ids. Required for text and pair splits. */
  encode?: (text: string) => ArrayLike<number>;
  /** Pairs: encoder for the target side (defaults to `encode`). */
  encodeTarget?: (text: string) => ArrayLike<number>;
  /** Text / pairs: pad (with `padId`) or truncate every sequence to this length. */
  maxLength?: number;
  padId?: number;
}

export interface Batch {
  xs: tf.Tensor;
  ys: tf.Tensor;
}

function encodeRows(
  texts: (i: number) => string,
  idx: ArrayLike<number>,
  enc: (t: string) => ArrayLike<number>,
  len: number,
  pad: number,
): tf.Tensor2D {
  const out = new Int32Array(idx.length * len).fill(pad);
  for (let r = 0; r < idx.length; r++) {
    const ids = enc(texts(idx[r]));
    const m = Math.min(len, ids.length);
    for (let j = 0; j < m; j++) out[r * len + j] = ids[j];
  }
  return tf.tensor2d(out, [idx.length, len], 'int32');
}

/**
 * Yields `{xs, ys}` tensors one batch at a time; only the current batch is materialised as tensors
 * (the caller disposes them). Images: xs float32 [b, h, w, c]; text: xs int32 [b, maxLength];
 * pairs: xs int32 [b, maxLength] (source ids) and ys int32 [b, maxLength] (target ids).
 */
export function* batches(split: Split, opts: BatchOptions): Generator<Batch> {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new DatasetError('BAD_ARGUMENT', `batchSize must be a positive integer, got ${batchSize}`);
  const n = splitSize(split);
  if (n === 0)
    throw new DatasetError(
      'EMPTY_SPLIT',
      'cannot batch an empty split; check the source and the split fractions',
    );
  const order = opts.seed === undefined ? null : seededPermutation(n, (opts.seed + (opts.epoch ?? 0)) >>> 0);
  const end = opts.dropRemainder ? n - (n % batchSize) : n;
  const labelsToTensor = (labels: ArrayLike<number>, idx: ArrayLike<number>) => {
    const ys = Int32Array.from({ length: idx.length }, (_, i) => labels[idx[i]]);
    if (opts.numClasses === undefined) return tf.tensor1d(ys, 'int32');
    return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(ys, 'int32'), opts.numClasses!), 'float32'));
  };
  for (let start = 0; start < end; start += batchSize) {
    const stop = Math.min(end, start + batchSize);
    const idx = new Uint32Array(stop - start);
    for (let i = start; i < stop; i++) idx[i - start] = order ? order[i] : i;
    if (split.kind === 'images') {
      const sz = split.height * split.width * split.channels;
      const px = new Float32Array(idx.length * sz);
      const scale = opts.normalize === false ? 1 : 1 / 255;
      for (let r = 0; r < idx.length; r++) {
        const src = imageAt(split, idx[r]);
        for (let j = 0; j < sz; j++) px[r * sz + j] = src[j] * scale;
      }
      yield {
        xs: tf.tensor4d(px, [idx.length, split.height, split.width, split.channels], 'float32'),
        ys: labelsToTensor(split.labels, idx),
      };
      continue;
    }
    if (!opts.encode || opts.maxLength === undefined) {
      throw new DatasetError(
        'BAD_ARGUMENT',
        `batching a ${split.kind} split needs encode (a tokenizer) and maxLength`,
      );
    }
    const pad = opts.padId ?? 0;
    if (split.kind === 'text') {
      yield {
        xs: encodeRows((i) => split.texts[i], idx, opts.encode, opts.maxLength, pad),
        ys: labelsToTensor(split.labels, idx),
      };
    } else {
      yield {
        xs: encodeRows((i) => split.source[i], idx, opts.encode, opts.maxLength, pad),
        ys: encodeRows((i) => split.target[i], idx, opts.encodeTarget ?? opts.encode, opts.maxLength, pad),
      };
    }
  }
}
