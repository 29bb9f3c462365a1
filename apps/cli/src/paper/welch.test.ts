import { describe, expect, it } from 'vitest';
import { incompleteBeta, studentTwoSided, welch } from './welch';

describe("Welch's t-test", () => {
  it('gives the p-values of the t distribution (reference values from scipy.stats.t.sf)', () => {
    expect(studentTwoSided(2, 10)).toBeCloseTo(0.073388, 6);
    expect(studentTwoSided(1, 1)).toBeCloseTo(0.5, 10);
    expect(studentTwoSided(2.7764451, 4)).toBeCloseTo(0.05, 6);
    expect(studentTwoSided(0, 7)).toBeCloseTo(1, 10);
    expect(incompleteBeta(0.5, 2, 3)).toBeCloseTo(0.6875, 10);
  });

  it('matches a worked example (scipy.stats.ttest_ind(a, b, equal_var=False))', () => {
    const r = welch([0.72, 0.71, 0.74, 0.73, 0.7], [0.75, 0.77, 0.74, 0.78, 0.76]);
    // t = -4.0, df = 8.0 (equal variances here), p = 0.0039498
    expect(r.t).toBeCloseTo(-4, 8);
    expect(r.df).toBeCloseTo(8, 6);
    expect(r.p).toBeCloseTo(0.0039498, 6);
  });

  it('says NaN with fewer than two seeds, and p = 1 for identical constant samples', () => {
    expect(welch([1], [1, 2]).p).toBeNaN();
    expect(welch([0.5, 0.5], [0.5, 0.5]).p).toBe(1);
    expect(welch([0.5, 0.5], [0.6, 0.6]).p).toBe(0);
  });
});
