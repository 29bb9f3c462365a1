import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs's own ops
import { webgpuCensus } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LayerNormalization } from '../layer-normalization';
import { useBackend } from '../testing/backends';
import { maxAbsDiff, randomValues } from '../testing/layer-weights';
import { fusedLayerNorm, fusedLayerNormActive, setFusedLayerNormEnabled } from './layer-norm';

/** Output, dx, dγ and dβ of a layer norm for the loss sum(y · r). */
async function valueAndGradients(shape: number[], seed: number) {
  const size = shape.reduce((a, b) => a * b, 1);
  const D = shape[shape.length - 1];
  const layer = new LayerNormalization({ epsilon: 1e-5 });
  const x = tf.tensor(randomValues(size, seed), shape);
  layer.apply(x);
  layer.setWeights([tf.tensor1d(randomValues(D, seed + 1)), tf.tensor1d(randomValues(D, seed + 2))]);
  const r = tf.tensor(randomValues(size, seed + 3), shape);
  const vars = layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const loss = (t: tf.Tensor) => tf.sum(tf.mul(layer.apply(t) as tf.Tensor, r)) as tf.Scalar;
  const y = await (layer.apply(x) as tf.Tensor).data();
  const dx = await tf.grad(loss)(x).data();
  const { grads } = tf.variableGrads(() => loss(x), vars);
  const [dgamma, dbeta] = await Promise.all(vars.map((v) => grads[v.name].data()));
  return { y, dx, dgamma, dbeta };
}

describe('fused layer norm on the software WebGPU adapter', () => {
  beforeAll(() => useBackend('webgpu'));
  afterAll(() => setFusedLayerNormEnabled(true));

  it.each([
    [[3, 5, 8]],
    [[2, 7, 64]],
    [[4, 3, 100]], // D not a multiple of the 64 threads
    [[2, 300]],
    [[70000, 3]], // more rows than one grid dimension holds (65535)
  ])('%j: value, dx, dγ and dβ equal the unfused ops', async (shape) => {
    expect(fusedLayerNormActive()).toBe(true);
    const fused = await valueAndGradients(shape, 11);
    setFusedLayerNormEnabled(false);
    const unfused = await valueAndGradients(shape, 11);
    setFusedLayerNormEnabled(true);
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    // Rows of 3 random values can have a tiny variance, which 1/σ amplifies: 5e-4 absolute.
    expect(maxAbsDiff(fused.y, unfused.y)).toBeLessThan(5e-4);
    expect(maxAbsDiff(fused.dx, unfused.dx)).toBeLessThan(5e-4);
    // Column sums over many rows: relative to their size.
    expect(maxAbsDiff(fused.dgamma, unfused.dgamma)).toBeLessThan(1e-5 * rows + 1e-4);
    expect(maxAbsDiff(fused.dbeta, unfused.dbeta)).toBeLessThan(1e-5 * rows + 1e-4);
  });

  it('costs one dispatch forward and three backward (unfused: 14 in all)', async () => {
    const layer = new LayerNormalization({});
    const x = tf.tensor3d(randomValues(16 * 50 * 64, 3), [16, 50, 64]);
    layer.apply(x);
    const vars = layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const step = async () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar, vars);
      await value.data();
      tf.dispose([value, ...Object.values(grads)]);
    };
    await step();
    const fused = (await webgpuCensus(tf, step)).census;
    setFusedLayerNormEnabled(false);
    await step();
    const unfused = (await webgpuCensus(tf, step)).census;
    setFusedLayerNormEnabled(true);
    // The loss's sum and its gradient are the same in both: the difference is the layer norm's.
    expect(fused.otherDispatches).toBe(4); // forward; dx, partial column sums, their total
    expect(unfused.otherDispatches).toBe(0);
    expect(unfused.dispatches - fused.dispatches).toBeGreaterThanOrEqual(10);
  });

  it('names a wrong gamma size', () => {
    const x = tf.ones([2, 4]);
    expect(() => fusedLayerNorm(x, tf.ones([3]) as tf.Tensor1D, tf.zeros([4]) as tf.Tensor1D, 1e-5)).toThrow(
      "gamma [3] and beta [4] must have the last axis' 4 values",
    );
  });
});
