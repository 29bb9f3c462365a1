import * as tf from '@tensorflow/tfjs-core';
import { dropout } from './fused/dropout';
import { fusedAttention, fusedAttentionActive } from './fused/fused-attention';
import { causalBias, paddingBias } from './masks';

export interface AttendOptions {
  /** Additive bias broadcastable to [batch, heads, L, S] (padding and causal masks). */
  bias?: tf.Tensor;
  /** Dropout rate on the attention weights (applied only when `training`). */
  dropout?: number;
  training?: boolean;
  /** Seed of tfjs's dropout, used only while attnzoo's hash dropout is switched off. */
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
      // The hash dropout: on webgpu one dispatch each way, no mask drawn on the host (fused/dropout.ts).
      weights = dropout(weights, options.dropout, options.seed) as tf.Tensor4D;
    }
    const output = tf.matMul(weights, v) as tf.Tensor4D;
    return { output, weights };
  });
}

export interface AttentionHeadsOptions {
  /** [batch, S], 1 = token, 0 = padding. */
  keyPaddingMask?: tf.Tensor2D;
  /** Query t sees keys ≤ t + (S − L). */
  causal?: boolean;
  dropout?: number;
  training?: boolean;
  seed?: number;
}

/**
 * The heads alone, softmax(q kᵀ / √dk + masks) v, for callers that do not need the weights.
 * On `webgpu` (unless switched off with setFusedAttentionEnabled) this is the fused kernel:
 * no L × S tensor, gradient through the recompute backward. Dropout on the weights needs them
 * materialised, so training with dropout, and every other backend, take the unfused path
 * above with the same masks as additive biases; both give the same results.
 */
export function attentionHeads(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  options: AttentionHeadsOptions = {},
): tf.Tensor4D {
  const dropoutActive = !!options.training && (options.dropout ?? 0) > 0;
  if (!dropoutActive && fusedAttentionActive()) {
    return fusedAttention(q, k, v, { keyPaddingMask: options.keyPaddingMask, causal: options.causal });
  }
  return tf.tidy(() => {
    const [L, S] = [q.shape[2], k.shape[2]];
    let bias: tf.Tensor | undefined;
    const mask = options.keyPaddingMask;
    if (mask) bias = paddingBias((mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32')) as tf.Tensor2D);
    if (options.causal) bias = bias ? tf.add(bias, causalBias(L, S)) : causalBias(L, S);
    const { output } = scaledDotProductAttention(q, k, v, {
      bias,
      dropout: options.dropout,
      training: options.training,
      seed: options.seed,
    });
    return output;
  });
}
