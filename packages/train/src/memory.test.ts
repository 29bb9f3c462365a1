import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { accuracy, MemoryCheckpointStore, topKAccuracy, train } from './index';
import { blobSource, tinyModel, useCpu } from './testing/helpers';

beforeAll(useCpu);

describe('memory', () => {
  it('the live tensor count is flat over 50 steps and back to where it was after training', async () => {
    const tr = blobSource(80, 8, 1); // 10 steps per epoch
    const va = blobSource(16, 8, 2);
    const model = tinyModel({ dropout: 0.1 });
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const result = await train({
      model,
      train: tr.source,
      validation: va.source,
      epochs: 5,
      lr: 0.01,
      clipNorm: 1,
      labelSmoothing: 0.1,
      metrics: [accuracy(), topKAccuracy(2)],
      checkpoints: new MemoryCheckpointStore(),
      earlyStopping: { patience: 10 },
      callbacks: [{ onBatchEnd: () => void counts.push(tf.memory().numTensors) }],
    });
    expect(result.step).toBe(50);
    expect(counts).toHaveLength(50);
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    tr.dispose();
    va.dispose();
    model.dispose();
  });
});
