import * as tf from '@tensorflow/tfjs-core';

/** Added to masked scores before the softmax; finite so a fully masked row stays NaN-free. */
export const MASKED_SCORE = -1e9;

/** [1, 1, L, S] additive bias that hides keys after each query (query t sees keys ≤ t + offset). */
export function causalBias(queryLength: number, keyLength: number): tf.Tensor4D {
  return tf.tidy(() => {
    const offset = keyLength - queryLength; // queries are the last L of the S positions
    const rows = tf.reshape(tf.range(0, queryLength, 1, 'int32'), [queryLength, 1]);
    const cols = tf.reshape(tf.range(0, keyLength, 1, 'int32'), [1, keyLength]);
    const visible = tf.lessEqual(cols, tf.add(rows, offset));
    const bias = tf.where(
      visible,
      tf.zeros([queryLength, keyLength]),
      tf.fill([queryLength, keyLength], MASKED_SCORE),
    );
    return tf.reshape(bias, [1, 1, queryLength, keyLength]) as tf.Tensor4D;
  });
}

/** Checks a key padding mask ([batch, S], 1 = real token, 0 = padding) and returns it as float32. */
export function checkKeyPaddingMask(mask: tf.Tensor, batch: number, keyLength: number): tf.Tensor2D {
  if (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== keyLength) {
    throw new Error(
      `Key padding mask has shape [${mask.shape.join(', ')}] but the keys are [batch=${batch}, length=${keyLength}]: ` +
        'pass a [batch, keyLength] mask with 1 for real tokens and 0 for padding.',
    );
  }
  return (mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32')) as tf.Tensor2D;
}

/** [batch, 1, 1, S] additive bias from a key padding mask. */
export function paddingBias(mask: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, keyLength] = mask.shape;
    return tf.reshape(tf.mul(tf.sub(1, mask), MASKED_SCORE), [batch, 1, 1, keyLength]) as tf.Tensor4D;
  });
}

/** Lower-triangular 0/1 matrix: keeps causal Super's token mixing from reading the future. */
export function lowerTriangle(size: number): tf.Tensor2D {
  return tf.tidy(() => tf.linalg.bandPart(tf.ones([size, size]), -1, 0) as tf.Tensor2D);
}
