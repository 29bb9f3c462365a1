import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { train } from './index';
import { blobSource, maxAbsDiff, tinyModel, weightsOf } from './testing/helpers';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

describe('wasm backend', () => {
  it('same seed, same weights (dropout and clipping included)', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const run = async (seed: number) => {
      const tr = blobSource(48, 16, 1);
      const model = tinyModel({ dropout: 0.3 });
      await train({ model, train: tr.source, epochs: 2, seed, lr: 0.01, clipNorm: 0.5 });
      const w = await weightsOf(model);
      tr.dispose();
      model.dispose();
      return w;
    };
    const a = await run(3);
    const b = await run(3);
    const c = await run(4);
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0);
  });
});
