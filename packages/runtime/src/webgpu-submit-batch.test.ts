import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from './select-backend';
import { submitBatchSize } from './webgpu-node';

describe('WebGPU submit batch', () => {
  const before = process.env.ATTNZOO_WEBGPU_SUBMIT_BATCH;
  afterAll(() => {
    if (before === undefined) delete process.env.ATTNZOO_WEBGPU_SUBMIT_BATCH;
    else process.env.ATTNZOO_WEBGPU_SUBMIT_BATCH = before;
  });

  it('rejects a batch that is not a positive integer, naming the variable to fix', () => {
    process.env.ATTNZOO_WEBGPU_SUBMIT_BATCH = '0';
    expect(() => submitBatchSize()).toThrow(/ATTNZOO_WEBGPU_SUBMIT_BATCH/);
    expect(() => submitBatchSize(2.5)).toThrow(/positive integer/);
    delete process.env.ATTNZOO_WEBGPU_SUBMIT_BATCH;
    expect(submitBatchSize()).toBeUndefined();
    expect(submitBatchSize(64)).toBe(64);
  });

  it('is applied from the environment, and a long kernel chain in one command buffer matches the cpu', async () => {
    const chain = () =>
      tf.tidy(() => {
        let x = tf.reshape(tf.linspace(-1, 1, 4096), [64, 64]);
        // 3 kernels a round, 120 rounds: several command buffers at 15, one at 1000.
        for (let i = 0; i < 120; i++) x = tf.mul(tf.tanh(tf.add(tf.matMul(x, x), 0.01 * i)), 0.9);
        return x;
      });
    await selectBackend(tf, { backend: 'cpu', log: () => {} });
    const expected = await chain().data();
    process.env.ATTNZOO_WEBGPU_SUBMIT_BATCH = '1000';
    await selectBackend(tf, { backend: 'webgpu', webgpu: { adapter: 'software' }, log: () => {} });
    expect(tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE')).toBe(1000);
    const actual = await chain().data();
    let maxErr = 0;
    for (let i = 0; i < expected.length; i++) maxErr = Math.max(maxErr, Math.abs(expected[i] - actual[i]));
    expect(maxErr).toBeLessThan(1e-4);
  });
});
