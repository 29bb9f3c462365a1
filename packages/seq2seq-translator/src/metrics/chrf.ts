import { SACREBLEU_VERSION } from './bleu';
import { pythonSplit } from './tokenizer-13a';

/**
 * chrF as sacreBLEU 2.x computes it (`sacrebleu.metrics.CHRF`, word order 0): character
 * n-grams of orders 1–6 with whitespace removed, statistics summed over the corpus, and the
 * F-beta score of the precision and recall averaged over the orders that occur (sacreBLEU's
 * default, `eff:yes`), or with `epsSmoothing` the chrF++.py-style average of per-order F-scores.
 */
export interface ChrfOptions {
  charOrder?: number;
  beta?: number;
  lowercase?: boolean;
  /** Keep whitespace inside the character n-grams (sacreBLEU `whitespace=True`). */
  whitespace?: boolean;
  epsSmoothing?: boolean;
}

export interface ChrfScore {
  /** 0–100. */
  score: number;
  /** e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.4.3`. */
  signature: string;
}

const EPS = 1e-16;

function charNgrams(line: string, order: number): Map<string, number> {
  const chars = Array.from(line); // code points, like Python string indexing
  const out = new Map<string, number>();
  for (let i = 0; i + order <= chars.length; i++) {
    const k = chars.slice(i, i + order).join('');
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

function segmentStats(hyp: string, ref: string, order: number): number[] {
  const stats: number[] = [];
  for (let n = 1; n <= order; n++) {
    const h = charNgrams(hyp, n);
    const r = charNgrams(ref, n);
    let hypCount = 0;
    let refCount = 0;
    let match = 0;
    for (const c of h.values()) hypCount += c;
    for (const [k, c] of r) {
      refCount += c;
      match += Math.min(c, h.get(k) ?? 0);
    }
    stats.push(hypCount, refCount, match);
  }
  return stats;
}

function fScore(stats: number[], order: number, beta: number, epsSmoothing: boolean): number {
  const factor = beta ** 2;
  let score = 0;
  let effective = 0;
  let avgPrec = 0;
  let avgRec = 0;
  for (let i = 0; i < order; i++) {
    const [nHyp, nRef, nMatch] = stats.slice(3 * i, 3 * i + 3);
    const prec = nHyp > 0 ? nMatch / nHyp : EPS;
    const rec = nRef > 0 ? nMatch / nRef : EPS;
    const denom = factor * prec + rec;
    score += denom > 0 ? ((1 + factor) * prec * rec) / denom : EPS;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effective += 1;
    }
  }
  if (epsSmoothing) return (100 * score) / order;
  if (effective === 0) return 0;
  avgPrec /= effective;
  avgRec /= effective;
  if (avgPrec + avgRec === 0) return 0;
  return (100 * ((1 + factor) * avgPrec * avgRec)) / (factor * avgPrec + avgRec);
}

/** Corpus chrF of detokenized hypotheses against one reference stream (as `sacrebleu.corpus_chrf`). */
export function corpusChrf(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: ChrfOptions = {},
): ChrfScore {
  const order = options.charOrder ?? 6;
  const beta = options.beta ?? 2;
  if (references.length !== 1) {
    throw new Error('corpusChrf supports exactly one reference stream (as this package uses it).');
  }
  const refs = references[0];
  if (refs.length !== hypotheses.length) {
    throw new Error(`corpusChrf: ${hypotheses.length} hypotheses but ${refs.length} references.`);
  }
  const pre = (s: string) => {
    const t = options.lowercase ? s.toLowerCase() : s;
    return options.whitespace ? t : pythonSplit(t).join('');
  };
  const total = new Array<number>(order * 3).fill(0);
  hypotheses.forEach((h, i) => {
    const s = segmentStats(pre(h), pre(refs[i]), order);
    for (let k = 0; k < s.length; k++) total[k] += s[k];
  });
  const signature = [
    `nrefs:${references.length}`,
    `case:${options.lowercase ? 'lc' : 'mixed'}`,
    `eff:${options.epsSmoothing ? 'no' : 'yes'}`,
    `nc:${order}`,
    'nw:0',
    `space:${options.whitespace ? 'yes' : 'no'}`,
    `version:${SACREBLEU_VERSION}`,
  ].join('|');
  return { score: fScore(total, order, beta, options.epsSmoothing ?? false), signature };
}
