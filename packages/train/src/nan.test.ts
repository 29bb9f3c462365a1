import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryCheckpointStore, NonFiniteLossError, sparseCrossEntropy, tensorBatches, train } from './index';
import { blobSource, blobs, maxAbsDiff, tinyModel, useCpu, weightsOf } from './testing/helpers';

beforeAll(useCpu);

describe('non-finite loss', () => {
  it('a NaN injected into the loss stops training with a clear error, skips that update and keeps the last good checkpoint', async () => {
    const tr = blobSource(64, 16, 1); // 4 steps per epoch
    const model = tinyModel({ softmax: false });
    const store = new MemoryCheckpointStore();
    let calls = 0;
    let lastGood: Float32Array[] = [];
    const run = train({
      model,
      train: tr.source,
      epochs: 5,
      lr: 0.01,
      checkpoints: store,
      loss: (pred, labels) =>
        tf.tidy(() => {
          calls += 1;
          const l = sparseCrossEntropy(pred, labels, { numClasses: 3, fromLogits: true });
          return (calls === 10 ? tf.mul(l, Number.NaN) : l) as tf.Scalar;
        }),
      callbacks: [
        {
          onBatchEnd: async () => {
            lastGood = await weightsOf(model);
          },
        },
      ],
    });
    await expect(run).rejects.toThrow(NonFiniteLossError);
    await expect(run).rejects.toThrow(
      /loss became NaN at epoch 2 batch 1.*last good checkpoint \(after epoch 1\) is kept.*clipNorm/,
    );
    const last = await store.load('last');
    expect(last?.state.epoch).toBe(2);
    expect(last?.state.step).toBe(8);
    // the NaN step was not applied
    const now = await weightsOf(model);
    expect(now.every((w) => w.every(Number.isFinite))).toBe(true);
    expect(maxAbsDiff(now, lastGood)).toBe(0);
    tr.dispose();
    model.dispose();
  });

  it('an infinite input makes the same error', async () => {
    const { xs, ys } = blobs(16);
    const bad = tf.tidy(() => tf.mul(xs, tf.scalar(Number.POSITIVE_INFINITY)));
    const model = tinyModel({ softmax: false });
    await expect(
      train({ model, train: tensorBatches(bad, ys, { batchSize: 8 }), epochs: 1 }),
    ).rejects.toThrow(/loss became (NaN|Infinity) at epoch 0 batch 0.*No checkpoint was written yet/);
    tf.dispose([xs, ys, bad]);
    model.dispose();
  });
});
