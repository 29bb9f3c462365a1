import { beforeAll, describe, expect, it } from 'vitest';
import type { EpochLogs } from './index';
import {
  accuracy,
  MemoryCheckpointStore,
  pauseAtTimeLimit,
  TrainingPaused,
  train,
  warmupCosineLr,
} from './index';
import { blobSource, maxAbsDiff, tinyModel, useCpu, weightsOf } from './testing/helpers';

beforeAll(useCpu);

const epochLogs = (epoch: number, seconds: number) => ({ epoch, seconds }) as EpochLogs;

describe('pauseAtTimeLimit', () => {
  it('pauses when the longest epoch so far would end past the limit, never after the last epoch', async () => {
    let clock = 0;
    const cb = pauseAtTimeLimit({ limitSeconds: 100, startedAt: 0, reserveSeconds: 10, now: () => clock });
    await cb.onTrainBegin?.({ epochs: 4, startEpoch: 0, step: 0, monitor: 'loss', resumed: false });
    clock = 30_000; // epoch 1 took 30 s: 30 + 30 + 10 <= 100, go on
    await cb.onEpochEnd?.(epochLogs(0, 30));
    clock = 61_000; // 61 + 30 + 10 > 100: pause after epoch 2 of 4
    await expect(async () => cb.onEpochEnd?.(epochLogs(1, 31))).rejects.toThrow(
      /paused after epoch 2 of 4.*--resume/,
    );
    clock = 500_000; // the last epoch never pauses: there is nothing left to resume
    await cb.onEpochEnd?.(epochLogs(3, 31));
    expect(() => pauseAtTimeLimit({ limitSeconds: 0, startedAt: 0 })).toThrow(/time limit must be > 0/);
  });

  it('a paused and resumed run ends with the weights of an uninterrupted one (same schedule)', async () => {
    const starts: number[] = [];
    const run = async (store: MemoryCheckpointStore | undefined, resume: boolean, limit?: () => number) => {
      const model = tinyModel({ seed: 3 });
      const data = blobSource(64, 16);
      try {
        await train({
          model,
          train: data.source,
          epochs: 4,
          seed: 5,
          lr: warmupCosineLr({ peakLr: 0.05, warmupSteps: 2, totalSteps: 16 }),
          metrics: [accuracy()],
          checkpoints: store,
          resume,
          // The clock says the first epoch ends at 60 of 100 s, 50 s are kept for the end: pause.
          callbacks: [
            { onTrainBegin: (info) => void starts.push(info.startEpoch) },
            ...(limit
              ? [pauseAtTimeLimit({ limitSeconds: 100, startedAt: 0, reserveSeconds: 50, now: limit })]
              : []),
          ],
        });
        return await weightsOf(model);
      } finally {
        data.dispose();
      }
    };
    const reference = await run(undefined, false);
    const store = new MemoryCheckpointStore();
    const paused = await run(store, false, () => 60_000).catch((e: unknown) => e);
    expect(paused).toBeInstanceOf(TrainingPaused);
    expect((paused as TrainingPaused).epochsDone).toBe(1);
    const resumed = await run(store, true);
    expect(starts).toEqual([0, 0, 1]); // the third run went on from epoch 2
    expect(maxAbsDiff(resumed, reference)).toBeLessThan(1e-6);
  });
});
