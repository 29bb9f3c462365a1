import { beforeAll, describe, expect, it } from 'vitest';
import { accuracy, topKAccuracy, train } from './index';
import { blobSource, maxAbsDiff, tinyModel, useCpu, weightsOf } from './testing/helpers';

beforeAll(useCpu);

describe('train', () => {
  it('learns a separable problem, validates each epoch and tests at the end', async () => {
    const tr = blobSource(96, 16, 1);
    const va = blobSource(48, 16, 2);
    const te = blobSource(48, 16, 3);
    const model = tinyModel();
    const result = await train({
      model,
      train: tr.source,
      validation: va.source,
      test: te.source,
      epochs: 6,
      lr: 0.02,
      metrics: [accuracy(), topKAccuracy(2)],
      labelSmoothing: 0.05,
      clipNorm: 1,
    });
    tr.dispose();
    va.dispose();
    te.dispose();
    expect(result.history).toHaveLength(6);
    expect(result.history[5].loss).toBeLessThan(result.history[0].loss);
    expect(result.history[5].val_accuracy).toBeGreaterThan(0.9);
    expect(result.history[5].val_top2_accuracy).toBeGreaterThanOrEqual(result.history[5].val_accuracy);
    expect(result.test?.accuracy).toBeGreaterThan(0.9);
    expect(result.step).toBe(6 * 6);
    model.dispose();
  });

  it('lets timers run during a long fit (on cpu, awaiting tfjs reads alone never yields to the event loop)', async () => {
    const tr = blobSource(96, 16, 1);
    const model = tinyModel();
    let fired = false;
    const timer = setTimeout(() => {
      fired = true;
    }, 0);
    let firedBeforeTheEnd = false;
    await train({
      model,
      train: tr.source,
      epochs: 4,
      lr: 0.01,
      callbacks: [
        {
          // 24 slow steps (30 ms of synchronous work each), far longer than a timer's wait
          onBatchEnd: () => {
            const until = performance.now() + 30;
            while (performance.now() < until);
          },
          onTrainEnd: () => {
            firedBeforeTheEnd = fired;
          },
        },
      ],
    });
    clearTimeout(timer);
    tr.dispose();
    model.dispose();
    expect(firedBeforeTheEnd).toBe(true);
  });

  it('is deterministic for a seed, dropout included, and differs across seeds', async () => {
    const run = async (seed: number) => {
      const tr = blobSource(64, 16, 1);
      const model = tinyModel({ dropout: 0.3 });
      await train({ model, train: tr.source, epochs: 2, seed, lr: 0.01 });
      const w = await weightsOf(model);
      tr.dispose();
      model.dispose();
      return w;
    };
    const a = await run(5);
    const b = await run(5);
    const c = await run(6);
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0);
  });
});
