import * as tf from '@tensorflow/tfjs-core';

export interface AttendOptions {
  /** Additive bias broadcastable to [batch, heads, L, S] (padding and causal masks). */
  bias?: tf.Tensor;
  /** Dropout rate on the attention weights (applied only when `training`). */
  dropout?: number;
  training?: boolean;
  seed?: number;
}

/**
 * softmax(q kᵀ / √dk + bias) v per head: q [B, h, L, dk], k and v [B, h, S, dk].
 * Returns the heads [B, h, L, dk] and the attention weights [B, h, L, S].
 * This is the unfused path every backend runs; every variant goes through it, differing only
 * in what q, k and v are.
 */
export function scaledDotProductAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  options: AttendOptions = {},
): { output: tf.Tensor4D; weights: tf.Tensor4D } {
  return tf.tidy(() => {
    const dk = q.shape[3];
    let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dk)) as tf.Tensor4D;
    if (options.bias) scores = tf.add(scores, options.bias);
    let weights = tf.softmax(scores) as tf.Tensor4D;
    if (options.training && options.dropout && options.dropout > 0) {
      weights = tf.dropout(weights, options.dropout, undefined, options.seed) as tf.Tensor4D;
    }
    const output = tf.matMul(weights, v) as tf.Tensor4D;
    return { output, weights };
  });
}
