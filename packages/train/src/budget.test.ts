import { describe, expect, it } from 'vitest';
import { epochsWithinBudget, stepTimer } from './index';
import type { BatchLogs } from './trainer';

const batch = (seconds: number) => ({ seconds }) as BatchLogs;

describe('time budgets', () => {
  it('stepTimer takes the median step after the warm-up steps', async () => {
    const t = stepTimer(2);
    await t.callback.onEpochBegin?.(0, { epochs: 1 });
    // cumulative seconds: two slow warm-up steps (5 s, 3 s), then 0.1, 0.3, 0.2
    for (const s of [5, 8, 8.1, 8.4, 8.6]) await t.callback.onBatchEnd?.(batch(s));
    expect(t.measured()).toBe(3);
    expect(t.secondsPerStep()).toBeCloseTo(0.2, 9);
  });

  it('stepTimer with no step at all says so', () => {
    expect(() => stepTimer(3).secondsPerStep()).toThrow(/took no steps/);
  });

  it('epochsWithinBudget keeps what fits, at least one, at most what was wanted', () => {
    const base = { secondsPerStep: 0.1, stepsPerEpoch: 100, epochOverhead: 1 };
    expect(epochsWithinBudget({ ...base, budgetSeconds: 55, wanted: 10 })).toEqual({
      epochs: 5,
      secondsPerEpoch: 10,
    });
    expect(epochsWithinBudget({ ...base, budgetSeconds: 5, wanted: 10 }).epochs).toBe(1);
    expect(epochsWithinBudget({ ...base, budgetSeconds: 1e6, wanted: 10 }).epochs).toBe(10);
    expect(() => epochsWithinBudget({ ...base, budgetSeconds: 0, wanted: 3 })).toThrow(/budget must be > 0/);
  });
});
