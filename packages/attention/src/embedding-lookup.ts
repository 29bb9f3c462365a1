import * as tf from '@tensorflow/tfjs-core';

type LookupFn = (table: tf.Tensor, ids: tf.Tensor) => tf.Tensor;

/**
 * Rows of `table` [V, d] at `ids` (int32, any shape) → [...ids.shape, d].
 * The gradient is a scatter-add (ScatterNd) instead of tfjs's UnsortedSegmentSum, which the
 * wasm backend does not implement: with this, embeddings train on every backend.
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  const [vocabulary, width] = table.shape;
  const flatIds = tf.reshape(tf.cast(ids, 'int32'), [-1]) as tf.Tensor1D;
  const body = (t: tf.Tensor, i: tf.Tensor, save: tf.GradSaveFunc) => {
    save([i]);
    return {
      value: tf.gather(t, i as tf.Tensor1D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const indices = tf.reshape(saved[0], [-1, 1]);
        return [
          tf.scatterND(indices, tf.reshape(dy, [-1, width]), [vocabulary, width]),
          tf.zerosLike(saved[0]),
        ];
      },
    };
  };
  // customGrad's typing has one variadic signature; the arguments really are (table, ids, save).
  const lookup = tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as LookupFn;
  return tf.reshape(lookup(table, flatIds), [...ids.shape, width]);
}
