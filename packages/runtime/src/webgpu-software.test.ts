import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from './select-backend';

// Runs the real WGSL kernels of tfjs-backend-webgpu on Mesa's software adapter.
describe('webgpu on the software adapter', () => {
  it('initialises and matches the cpu backend on a matmul + softmax', async () => {
    const a = [...Array(48 * 40)].map((_, i) => Math.sin(i * 0.37));
    const b = [...Array(40 * 24)].map((_, i) => Math.cos(i * 0.11));
    const run = () =>
      tf.tidy(() => tf.softmax(tf.matMul(tf.tensor2d(a, [48, 40]), tf.tensor2d(b, [40, 24]))));
    await selectBackend(tf, { backend: 'cpu', log: () => {} });
    const expected = await run().data();
    const choice = await selectBackend(tf, {
      backend: 'webgpu',
      webgpu: { adapter: 'software' },
      log: () => {},
    });
    expect(choice.webgpuAdapter?.software).toBe(true);
    const actual = await run().data();
    let maxErr = 0;
    for (let i = 0; i < expected.length; i++) maxErr = Math.max(maxErr, Math.abs(expected[i] - actual[i]));
    expect(maxErr).toBeLessThan(1e-5);
  });
});
