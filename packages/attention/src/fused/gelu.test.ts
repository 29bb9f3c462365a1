import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs's own ops and its 'gelu'
import { webgpuCensus } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedForward } from '../feed-forward';
import { useBackend } from '../testing/backends';
import { maxAbsDiff, randomValues } from '../testing/layer-weights';
import { fusedGeluActive, geluActivation, setFusedGeluEnabled } from './gelu';

describe('fused GELU on the software WebGPU adapter', () => {
  beforeAll(() => useBackend('webgpu'));
  afterAll(() => setFusedGeluEnabled(true));

  const valueAndGradient = async (x: tf.Tensor) => {
    const gelu = geluActivation()!;
    const r = tf.sin(x);
    const y = await gelu.apply(x).data();
    const dx = await tf
      .grad((t: tf.Tensor) => tf.sum(tf.mul(gelu.apply(t), r)))(x)
      .data();
    r.dispose();
    return { y, dx };
  };

  it.each([
    [[7]],
    [[3, 5, 64]],
    [[4100, 4100]],
  ])('%j: value and gradient equal tfjs-layers’ gelu (the largest spans two grid rows)', async (shape) => {
    expect(fusedGeluActive()).toBe(true);
    const size = shape.reduce((a, b) => a * b, 1);
    const x =
      size > 1e6
        ? tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 3), 3)
        : tf.tensor(randomValues(size, 5), shape);
    const fused = await valueAndGradient(x);
    setFusedGeluEnabled(false);
    const stock = await valueAndGradient(x);
    setFusedGeluEnabled(true);
    expect(maxAbsDiff(fused.y, stock.y)).toBeLessThan(1e-5);
    expect(maxAbsDiff(fused.dx, stock.dx)).toBeLessThan(1e-5);
    x.dispose();
  });

  it("keeps 'gelu' in the layer config, and a feed-forward's step dispatches about ten fewer kernels", async () => {
    const ff = new FeedForward({ width: 16, hiddenWidth: 32, activation: 'gelu', name: 'ff', seed: 1 });
    const x = tf.tensor3d(randomValues(2 * 5 * 16, 2), [2, 5, 16]);
    ff.apply(x);
    const inner = (ff as unknown as { inner: { getConfig(): { activation: string } } }).inner;
    expect(inner.getConfig().activation).toBe('gelu');
    const step = async () => {
      const g = tf.grad((t: tf.Tensor) => tf.sum(ff.apply(t) as tf.Tensor))(x);
      await g.data();
      g.dispose();
    };
    await step();
    const fused = (await webgpuCensus(tf, step)).census;
    setFusedGeluEnabled(false);
    await step();
    const stock = (await webgpuCensus(tf, step)).census;
    setFusedGeluEnabled(true);
    // attnzoo's products are raw dispatches too: count the GELU kernels by name.
    const gelu = (c: typeof fused) =>
      c.byKernel.filter((k) => k.kernel.startsWith('AttnzooGelu')).reduce((n, k) => n + k.count, 0);
    expect(gelu(fused)).toBe(2);
    expect(gelu(stock)).toBe(0);
    expect(stock.dispatches - fused.dispatches).toBeGreaterThanOrEqual(8);
    expect(stock.uploads).toBeGreaterThan(fused.uploads);
  });
});
