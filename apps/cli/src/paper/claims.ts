import type { AttentionVariant } from '@attnzoo/attention';

/** What `verdicts` needs of a summary row (bench-paper's PaperRow has all of it). */
export interface ClaimRow {
  variant: AttentionVariant;
  attentionParametersRatio: number;
  metricMean: number;
  metrics: number[];
  /** Two-sided Welch p-value of this variant's metric against SDPA's (NaN for SDPA itself). */
  pValue: number;
  secondsPerEpochRatio: number;
}

export type Verdict = 'held' | 'not held' | 'inconclusive';

export interface ClaimVerdict {
  claim: string;
  verdict: Verdict;
  evidence: string;
}

const ALPHA = 0.05;
// Time per epoch differences within this fraction are read as noise (shared machines).
const TIME_NOISE = 0.03;

/**
 * The paper's claims (arXiv 2403.01643), judged on one task's runs: Optimised and Efficient match
 * SDPA with 25 % / 50 % fewer attention parameters; Super beats SDPA and is faster. "Match": no
 * significant difference (Welch, α = 0.05) or significantly better; "beats": significantly
 * better. Fewer than two seeds a side is always inconclusive for the metric claims.
 */
export function verdicts(rows: ClaimRow[], metric: string, higherIsBetter = true): ClaimVerdict[] {
  const sdpa = rows.find((r) => r.variant === 'sdpa');
  if (!sdpa) return [];
  const out: ClaimVerdict[] = [];
  const by = (v: AttentionVariant) => rows.find((r) => r.variant === v);
  const better = (r: ClaimRow) =>
    higherIsBetter ? r.metricMean > sdpa.metricMean : r.metricMean < sdpa.metricMean;
  const fmt = (r: ClaimRow) =>
    `${metric} ${r.metricMean.toFixed(4)} vs SDPA ${sdpa.metricMean.toFixed(4)}, Welch p = ${Number.isNaN(r.pValue) ? 'n/a' : r.pValue.toFixed(3)} (${r.metrics.length} vs ${sdpa.metrics.length} seeds)`;
  for (const [v, fewer] of [
    ['optimised', 0.25],
    ['efficient', 0.5],
  ] as const) {
    const r = by(v);
    if (!r) continue;
    const saved = 1 - r.attentionParametersRatio;
    out.push({
      claim: `${v}: ${Math.round(fewer * 100)} % fewer attention parameters than SDPA`,
      verdict: Math.abs(saved - fewer) < 0.02 ? 'held' : 'not held',
      evidence: `${(100 * saved).toFixed(1)} % fewer (ratio ${r.attentionParametersRatio.toFixed(3)})`,
    });
    let verdict: Verdict;
    if (Number.isNaN(r.pValue)) verdict = 'inconclusive';
    else if (r.pValue >= ALPHA || better(r)) verdict = 'held';
    else verdict = 'not held';
    out.push({ claim: `${v} matches SDPA's ${metric}`, verdict, evidence: fmt(r) });
  }
  const s = by('super');
  if (s) {
    let verdict: Verdict;
    if (Number.isNaN(s.pValue)) verdict = 'inconclusive';
    else if (!better(s)) verdict = 'not held';
    else verdict = s.pValue < ALPHA ? 'held' : 'inconclusive';
    out.push({ claim: `super beats SDPA's ${metric}`, verdict, evidence: fmt(s) });
    const ratio = s.secondsPerEpochRatio;
    out.push({
      claim: 'super trains faster than SDPA',
      verdict: ratio < 1 - TIME_NOISE ? 'held' : ratio > 1 + TIME_NOISE ? 'not held' : 'inconclusive',
      evidence: `time per epoch ${ratio.toFixed(3)} × SDPA's (differences within ${100 * TIME_NOISE} % read as noise)`,
    });
  }
  return out;
}
