import { describe, expect, it } from 'vitest';
import { stratifiedSample } from './splits';

describe('stratifiedSample', () => {
  // Class-ordered labels, as in CIFAR-10's class folders: a prefix would hold one class only.
  const labels = Int32Array.from({ length: 1000 }, (_, i) => Math.floor(i / 100));

  it('takes the same number of every class, in ascending order, and repeats for a seed', () => {
    const s = stratifiedSample(labels, 7, 3);
    expect(s).toHaveLength(70);
    const counts = new Array(10).fill(0);
    for (const i of s) counts[labels[i]]++;
    expect(counts).toEqual(new Array(10).fill(7));
    expect([...s].sort((a, b) => a - b)).toEqual(s);
    expect(new Set(s).size).toBe(70);
    expect(stratifiedSample(labels, 7, 3)).toEqual(s);
    expect(stratifiedSample(labels, 7, 4)).not.toEqual(s);
  });

  it('keeps every example of a class smaller than perClass, and refuses a bad count', () => {
    const small = Int32Array.from([0, 0, 1, 2, 2, 2]);
    expect(
      stratifiedSample(small, 2, 1)
        .map((i) => small[i])
        .sort(),
    ).toEqual([0, 0, 1, 2, 2]);
    expect(() => stratifiedSample(small, 0, 1)).toThrow(/perClass/);
  });
});
