import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { constantLr, train, warmupCosineByFraction, warmupCosineLr } from './index';
import { blobSource, tinyModel, useCpu } from './testing/helpers';

beforeAll(useCpu);

describe('learning-rate schedules', () => {
  it('constant gives the same rate at every step', () => {
    const s = constantLr(0.003);
    expect([0, 1, 1000].map(s)).toEqual([0.003, 0.003, 0.003]);
  });

  it('warmup + cosine produces the expected rates', () => {
    const s = warmupCosineLr({ peakLr: 1e-3, warmupSteps: 4, totalSteps: 12, minLr: 1e-4 });
    const expected: [number, number][] = [
      [0, 0.25e-3],
      [1, 0.5e-3],
      [3, 1e-3],
      [4, 1e-3],
      [6, 1e-4 + 0.9e-3 * ((1 + Math.cos(Math.PI / 4)) / 2)],
      [8, 5.5e-4],
      [12, 1e-4],
      [40, 1e-4],
    ];
    for (const [step, lr] of expected) expect(s(step)).toBeCloseTo(lr, 12);
    // monotone after warmup
    for (let i = 4; i < 12; i++) expect(s(i + 1)).toBeLessThanOrEqual(s(i));
  });

  it('a warmup fraction becomes whole steps, at least one', () => {
    const byFraction = warmupCosineByFraction({ peakLr: 0.1, warmupFraction: 0.05, totalSteps: 1000 });
    const bySteps = warmupCosineLr({ peakLr: 0.1, warmupSteps: 50, totalSteps: 1000 });
    for (const step of [0, 25, 49, 50, 500, 999]) expect(byFraction(step)).toBe(bySteps(step));
    const tiny = warmupCosineByFraction({ peakLr: 0.1, warmupFraction: 0.05, totalSteps: 4 });
    expect(tiny(0)).toBe(0.1); // one warmup step reaches the peak
    expect(() => warmupCosineByFraction({ peakLr: 0.1, warmupFraction: 1.5, totalSteps: 10 })).toThrow(
      'warmupFraction must be between 0 and 1, got 1.5',
    );
  });

  it('rejects a totalSteps shorter than the warmup', () => {
    expect(() => warmupCosineLr({ peakLr: 1, warmupSteps: 10, totalSteps: 5 })).toThrow(/totalSteps/);
  });

  it('the trainer uses the schedule at every optimizer step', async () => {
    const tr = blobSource(64, 16);
    const model = tinyModel();
    const schedule = warmupCosineLr({ peakLr: 0.01, warmupSteps: 3, totalSteps: 8 });
    const seen: number[] = [];
    const before = tf.memory().numTensors;
    await train({
      model,
      train: tr.source,
      epochs: 2,
      lr: schedule,
      callbacks: [{ onBatchEnd: (l) => void seen.push(l.lr) }],
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(seen).toEqual(Array.from({ length: 8 }, (_, i) => schedule(i)));
    tr.dispose();
    model.dispose();
  });
});
