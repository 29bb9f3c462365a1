import { describe, expect, it } from 'vitest';
import { type ClaimRow, verdicts } from './claims';

const row = (variant: ClaimRow['variant'], metrics: number[], over: Partial<ClaimRow> = {}): ClaimRow => ({
  variant,
  metrics,
  metricMean: metrics.reduce((a, b) => a + b, 0) / metrics.length,
  attentionParametersRatio: { sdpa: 1, optimised: 0.75, efficient: 0.5, super: 0.52 }[variant],
  pValue: Number.NaN,
  secondsPerEpochRatio: 1,
  ...over,
});

describe('paper claim verdicts', () => {
  it('holds, rejects or leaves open each claim from the means, Welch p and time ratio', () => {
    const v = verdicts(
      [
        row('sdpa', [0.72, 0.73]),
        row('optimised', [0.7, 0.71], { pValue: 0.01 }),
        row('efficient', [0.72, 0.72], { pValue: 0.6 }),
        row('super', [0.75, 0.76], { pValue: 0.2, secondsPerEpochRatio: 0.9 }),
      ],
      'accuracy',
    );
    const by = Object.fromEntries(v.map((c) => [c.claim, c.verdict]));
    expect(by).toEqual({
      'optimised: 25 % fewer attention parameters than SDPA': 'held',
      "optimised matches SDPA's accuracy": 'not held',
      'efficient: 50 % fewer attention parameters than SDPA': 'held',
      "efficient matches SDPA's accuracy": 'held',
      "super beats SDPA's accuracy": 'inconclusive',
      'super trains faster than SDPA': 'held',
    });
  });

  it('needs seeds on both sides, and a significant gain for super', () => {
    const one = verdicts([row('sdpa', [0.7]), row('super', [0.8])], 'accuracy');
    expect(one.find((c) => c.claim.startsWith('super beats'))?.verdict).toBe('inconclusive');
    const worse = verdicts(
      [row('sdpa', [0.7, 0.71]), row('super', [0.6, 0.61], { pValue: 0.3 })],
      'accuracy',
    );
    expect(worse.find((c) => c.claim.startsWith('super beats'))?.verdict).toBe('not held');
    const sig = verdicts(
      [row('sdpa', [0.7, 0.71]), row('super', [0.8, 0.81], { pValue: 0.001 })],
      'accuracy',
    );
    expect(sig.find((c) => c.claim.startsWith('super beats'))?.verdict).toBe('held');
  });
});
