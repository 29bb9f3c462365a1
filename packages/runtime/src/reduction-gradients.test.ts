import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describe, expect, it } from 'vitest';
import { patchReductionGradients } from './reduction-gradients';

// Gradients of f(x) = sum(w * reduce(x)) for each reduction, axis and keepDims, computed with the
// stock tfjs gradients first and again after the patch: they must agree exactly.
const CASES: [string, number | number[] | undefined, boolean][] = [
  ['sum', -1, false],
  ['sum', [0, 2], true],
  ['sum', undefined, false],
  ['mean', -1, true],
  ['mean', 1, false],
  ['mean', [0, 1, 2], false],
];

function gradients(): Float32Array[] {
  return CASES.map(([op, axis, keepDims]) =>
    tf.tidy(() => {
      const x = tf.tensor3d(
        Array.from({ length: 24 }, (_, i) => Math.sin(i)),
        [2, 3, 4],
      );
      const g = tf.grad((t: tf.Tensor) => {
        const r = op === 'sum' ? tf.sum(t, axis, keepDims) : tf.mean(t, axis, keepDims);
        const w = tf.reshape(tf.range(1, r.size + 1), r.shape);
        return tf.sum(tf.mul(r, w));
      })(x);
      return g.dataSync() as Float32Array;
    }),
  );
}

describe('patchReductionGradients', () => {
  it('gives the stock Sum and Mean gradients without a ones tensor from the CPU', async () => {
    await tf.setBackend('cpu');
    const stock = gradients();
    patchReductionGradients(tf);
    const patched = gradients();
    patched.forEach((g, i) => {
      expect(Array.from(g)).toEqual(Array.from(stock[i]));
    });
    // mean over the last axis of [2, 3, 4]: every element gets w / 4, w = 1..6 per row
    expect(patched[3][0]).toBeCloseTo(1 / 4, 7);
    expect(patched[3][23]).toBeCloseTo(6 / 4, 7);
    // the backward pass of a mean builds no [2, 3, 4] tensor from host memory any more
    const x = tf.ones([2, 3, 4]);
    const info = await tf.profile(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mean(t, -1)))(x));
    expect(info.kernels.map((k) => k.name)).toContain('Tile');
    x.dispose();
  });
});
