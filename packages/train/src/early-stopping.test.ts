import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryCheckpointStore, type Metric, train } from './index';
import { blobSource, maxAbsDiff, tinyModel, useCpu, weightsOf } from './testing/helpers';

beforeAll(useCpu);

/** A validation metric that reads a script: its value in epoch e is values[e]. */
function scripted(values: number[]): Metric {
  let epoch = -1;
  return {
    name: 'score',
    reset() {
      epoch += 1;
    },
    update() {},
    result: () => values[epoch],
  };
}

describe('early stopping', () => {
  it('stops after `patience` epochs without improvement and restores the best weights', async () => {
    const tr = blobSource(48, 16, 1);
    const va = blobSource(16, 16, 2);
    const model = tinyModel();
    const perEpoch: Float32Array[][] = [];
    const store = new MemoryCheckpointStore();
    const result = await train({
      model,
      train: tr.source,
      validation: va.source,
      epochs: 10,
      lr: 0.05,
      metrics: [scripted([0.5, 0.8, 0.6, 0.7, 0.9, 0.95])],
      trainMetrics: false,
      monitor: 'val_score',
      earlyStopping: { patience: 2 },
      checkpoints: store,
      callbacks: [{ onEpochEnd: async () => void perEpoch.push(await weightsOf(model)) }],
    });
    expect(result.stoppedEarly).toBe(true);
    expect(result.history.map((h) => h.val_score)).toEqual([0.5, 0.8, 0.6, 0.7]);
    expect(result.best).toEqual({ monitor: 'val_score', value: 0.8, epoch: 1 });
    const final = await weightsOf(model);
    expect(maxAbsDiff(final, perEpoch[1])).toBe(0);
    expect(maxAbsDiff(final, perEpoch[3])).toBeGreaterThan(0);
    expect((await store.load('best'))?.state.epoch).toBe(2);
    expect((await store.load('last'))?.state.epoch).toBe(4);
    tr.dispose();
    va.dispose();
    model.dispose();
  });

  it('monitors the training loss (min) when there is no validation data', async () => {
    const tr = blobSource(48, 16, 1);
    const model = tinyModel();
    const result = await train({
      model,
      train: tr.source,
      epochs: 3,
      lr: 0.05,
      earlyStopping: { patience: 1 },
    });
    expect(result.best.monitor).toBe('loss');
    expect(result.best.value).toBe(Math.min(...result.history.map((h) => h.loss)));
    tr.dispose();
    model.dispose();
  });
});
