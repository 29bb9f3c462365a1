import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describe, expect, it } from 'vitest';
import { patchGradients } from './gradient-fixes';

type Case = { name: string; shape: number[]; f: (t: tf.Tensor) => tf.Tensor };

// Gradients of sum(w * f(x)) for weights w = 1, 2, 3, ..., computed with the stock tfjs gradients
// first and again after the patch: they must agree exactly.
const CASES: Case[] = [
  { name: 'sum last axis', shape: [2, 3, 4], f: (t) => tf.sum(t, -1) },
  { name: 'sum axes 0, 2 keepDims', shape: [2, 3, 4], f: (t) => tf.sum(t, [0, 2], true) },
  { name: 'sum all', shape: [2, 3, 4], f: (t) => tf.sum(t) },
  { name: 'mean last axis keepDims', shape: [2, 3, 4], f: (t) => tf.mean(t, -1, true) },
  { name: 'mean axis 1', shape: [2, 3, 4], f: (t) => tf.mean(t, 1) },
  { name: 'mean all', shape: [2, 3, 4], f: (t) => tf.mean(t, [0, 1, 2]) },
  { name: 'tile rank 1', shape: [3], f: (t) => tf.tile(t, [4]) },
  { name: 'tile rank 2 rows', shape: [2, 3], f: (t) => tf.tile(t, [3, 1]) },
  { name: 'tile rank 2 both', shape: [2, 3], f: (t) => tf.tile(t, [2, 2]) },
  { name: 'tile class token over a batch', shape: [1, 1, 4], f: (t) => tf.tile(t, [5, 1, 1]) },
  { name: 'tile rank 3 mixed', shape: [2, 1, 3], f: (t) => tf.tile(t, [2, 3, 2]) },
  { name: 'tile rank 4', shape: [1, 2, 1, 2], f: (t) => tf.tile(t, [2, 1, 3, 2]) },
];

function gradients(): Float32Array[] {
  return CASES.map(({ shape, f }) =>
    tf.tidy(() => {
      const size = shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor(
        Array.from({ length: size }, (_, i) => Math.sin(i)),
        shape,
      );
      const g = tf.grad((t: tf.Tensor) => {
        const r = f(t);
        return tf.sum(tf.mul(r, tf.reshape(tf.range(1, r.size + 1), r.shape)));
      })(x);
      return g.dataSync() as Float32Array;
    }),
  );
}

describe('patchGradients', () => {
  it('gives the stock Sum, Mean and Tile gradients exactly, with no ones tensor and no slice per repetition', async () => {
    await tf.setBackend('cpu');
    const stock = gradients();
    patchGradients(tf);
    const patched = gradients();
    patched.forEach((g, i) => {
      expect(Array.from(g), CASES[i].name).toEqual(Array.from(stock[i]));
    });
    // by hand: tiling [a, b, c] 4 times, element j collects w[j] + w[j+3] + w[j+6] + w[j+9]
    expect(Array.from(patched[6])).toEqual([1 + 4 + 7 + 10, 2 + 5 + 8 + 11, 3 + 6 + 9 + 12]);
    // the backward pass of a mean builds no tensor from host memory any more
    const x = tf.ones([2, 3, 4]);
    const mean = await tf.profile(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mean(t, -1)))(x));
    expect(mean.kernels.map((k) => k.name)).toContain('Tile');
    // tiling over a batch of 64 costs one reduction, not 64 slices and 64 adds
    const token = tf.ones([1, 1, 8]);
    const tile = await tf.profile(() => tf.grad((t: tf.Tensor) => tf.sum(tf.tile(t, [64, 1, 1])))(token));
    expect(tile.kernels.filter((k) => k.name === 'Slice')).toHaveLength(0);
    expect(tile.kernels.length).toBeLessThan(10);
    tf.dispose([x, token]);
  });
});
