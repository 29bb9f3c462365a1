import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { LayerNormalization } from './index';
import { TEST_BACKENDS, tolerance, useBackend } from './testing/backends';
import { maxAbsDiff, randomValues } from './testing/layer-weights';

describe.each(TEST_BACKENDS)('LayerNormalization on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('matches tfjs-layers LayerNormalization in value and gradient', async () => {
    const x = tf.tensor3d(randomValues(3 * 5 * 8, 4), [3, 5, 8]);
    const ours = new LayerNormalization({ epsilon: 1e-3 });
    const theirs = layers.layerNormalization({ epsilon: 1e-3 });
    ours.apply(x);
    theirs.apply(x);
    const gamma = tf.tensor1d(randomValues(8, 5));
    const beta = tf.tensor1d(randomValues(8, 6));
    ours.setWeights([gamma, beta]);
    theirs.setWeights([gamma, beta]);
    const tol = tolerance(backend) * 10;
    expect(
      maxAbsDiff(await (ours.apply(x) as tf.Tensor).data(), await (theirs.apply(x) as tf.Tensor).data()),
    ).toBeLessThan(tol);
    const r = tf.tensor3d(randomValues(3 * 5 * 8, 7), [3, 5, 8]);
    const grad = (layer: { apply: (t: tf.Tensor) => unknown }) =>
      tf
        .grad((t: tf.Tensor) => tf.sum(tf.mul(layer.apply(t) as tf.Tensor, r)))(x)
        .data();
    expect(maxAbsDiff(await grad(ours), await grad(theirs))).toBeLessThan(tol);
  });
});
