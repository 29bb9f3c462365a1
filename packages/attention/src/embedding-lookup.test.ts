import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { embeddingLookup } from './index';
import { TEST_BACKENDS, useBackend } from './testing/backends';
import { maxAbsDiff } from './testing/layer-weights';

describe.each(TEST_BACKENDS)('embeddingLookup on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('gathers rows and scatter-adds the gradient, repeated ids included', async () => {
    const table = tf.tensor2d([0, 1, 2, 3, 4, 5, 6, 7], [4, 2]);
    const ids = tf.tensor2d(
      [
        [1, 1],
        [3, 0],
      ],
      [2, 2],
      'int32',
    );
    expect(await embeddingLookup(table, ids).array()).toEqual([
      [
        [2, 3],
        [2, 3],
      ],
      [
        [6, 7],
        [0, 1],
      ],
    ]);
    const weights = tf.tensor3d([
      [
        [1, 2],
        [10, 20],
      ],
      [
        [3, 4],
        [5, 6],
      ],
    ]);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(t as tf.Tensor2D, ids), weights)))(
      table,
    );
    // Row 1 appears twice: its gradient is the sum of both positions' upstream gradients.
    expect(maxAbsDiff(await grad.data(), [5, 6, 11, 22, 0, 0, 3, 4])).toBe(0);
  });
});
