import { pythonSplit, tokenize13a } from './tokenizer-13a';

/**
 * Corpus BLEU exactly as sacreBLEU 2.x computes it (`sacrebleu.metrics.BLEU`): segments are
 * right-stripped and tokenized (13a by default), n-grams up to order 4 are clipped against
 * the maximum count over the references, the closest reference length (shorter on ties) feeds
 * the brevity penalty, and zero n-gram matches are smoothed with the `exp` method (NIST).
 */

/** The sacreBLEU release whose algorithms this file reproduces (written into signatures). */
export const SACREBLEU_VERSION = '2.4.3';

export type BleuTokenizer = '13a' | 'none';
export type SmoothMethod = 'exp' | 'floor' | 'add-k' | 'none';

export interface BleuOptions {
  tokenize?: BleuTokenizer;
  lowercase?: boolean;
  smoothMethod?: SmoothMethod;
  /** For `floor` (default 0.1) and `add-k` (default 1). */
  smoothValue?: number;
  maxNgramOrder?: number;
  effectiveOrder?: boolean;
}

export interface BleuScore {
  /** 0–100. */
  score: number;
  counts: number[];
  totals: number[];
  precisions: number[];
  bp: number;
  sysLen: number;
  refLen: number;
  /** sacreBLEU's reproducibility signature, e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.4.3`. */
  signature: string;
  /** `BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)`. */
  toString(): string;
}

const SMOOTH_DEFAULTS: Record<SmoothMethod, number | undefined> = {
  none: undefined,
  floor: 0.1,
  'add-k': 1,
  exp: undefined,
};

/** sacreBLEU's `my_log`: log(0) is a large negative number instead of -inf. */
function myLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

function ngramCounts(tokens: string[], maxOrder: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      // \u0001 cannot occur inside a whitespace-split token list joined this way.
      const key = `${n}\u0001${tokens.slice(i, i + n).join(' ')}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

/** BLEU from its sufficient statistics (sacreBLEU's `BLEU.compute_bleu`). */
export function computeBleu(
  correctIn: number[],
  totalIn: number[],
  sysLen: number,
  refLen: number,
  options: Pick<BleuOptions, 'smoothMethod' | 'smoothValue' | 'effectiveOrder' | 'maxNgramOrder'> = {},
): Omit<BleuScore, 'signature' | 'toString'> {
  const method = options.smoothMethod ?? 'none';
  const smoothValue = options.smoothValue ?? SMOOTH_DEFAULTS[method] ?? 0;
  const maxOrder = options.maxNgramOrder ?? 4;
  const correct = [...correctIn];
  const total = [...totalIn];
  let bp = 1;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0;
  const precisions = new Array<number>(maxOrder).fill(0);
  const base = { counts: correct, totals: total, precisions, bp, sysLen, refLen };
  if (!correct.some((c) => c !== 0)) return { ...base, score: 0 };
  let smoothMteval = 1;
  let effOrder = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    if (method === 'add-k' && n > 1) {
      correct[n - 1] += smoothValue;
      total[n - 1] += smoothValue;
    }
    if (total[n - 1] === 0) break;
    if (options.effectiveOrder) effOrder = n;
    if (correct[n - 1] === 0) {
      if (method === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * total[n - 1]);
      } else if (method === 'floor') {
        precisions[n - 1] = (100 * smoothValue) / total[n - 1];
      }
    } else {
      precisions[n - 1] = (100 * correct[n - 1]) / total[n - 1];
    }
  }
  let logSum = 0;
  for (let i = 0; i < effOrder; i++) logSum += myLog(precisions[i]);
  return { ...base, score: bp * Math.exp(logSum / effOrder) };
}

export function bleuSignature(options: BleuOptions = {}, nrefs = 1): string {
  const method = options.smoothMethod ?? 'exp';
  const def = SMOOTH_DEFAULTS[method];
  const smooth = def === undefined ? method : `${method}[${(options.smoothValue ?? def).toFixed(2)}]`;
  return [
    `nrefs:${nrefs}`,
    `case:${options.lowercase ? 'lc' : 'mixed'}`,
    `eff:${options.effectiveOrder ? 'yes' : 'no'}`,
    `tok:${options.tokenize ?? '13a'}`,
    `smooth:${smooth}`,
    `version:${SACREBLEU_VERSION}`,
  ].join('|');
}

/**
 * Corpus BLEU of detokenized `hypotheses` against one or more reference streams
 * (`references[k][i]` is the k-th reference of segment i), as `sacrebleu.corpus_bleu`.
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: BleuOptions = {},
): BleuScore {
  const maxOrder = options.maxNgramOrder ?? 4;
  for (const refs of references) {
    if (refs.length !== hypotheses.length) {
      throw new Error(
        `corpusBleu: ${hypotheses.length} hypotheses but a reference stream has ${refs.length} segments: pass one reference per hypothesis in every stream.`,
      );
    }
  }
  if (references.length === 0) throw new Error('corpusBleu needs at least one reference stream.');
  const tokenize = options.tokenize === 'none' ? (s: string) => s : tokenize13a;
  const pre = (s: string) => tokenize((options.lowercase ? s.toLowerCase() : s).trimEnd());
  const correct = new Array<number>(maxOrder).fill(0);
  const total = new Array<number>(maxOrder).fill(0);
  let sysLen = 0;
  let refLen = 0;
  hypotheses.forEach((hyp, i) => {
    let refNgrams: Map<string, number> | undefined;
    const refLens: number[] = [];
    for (const stream of references) {
      const tokens = pythonSplit(pre(stream[i]));
      refLens.push(tokens.length);
      const counts = ngramCounts(tokens, maxOrder);
      if (!refNgrams) refNgrams = counts;
      else for (const [k, c] of counts) refNgrams.set(k, Math.max(refNgrams.get(k) ?? 0, c));
    }
    const hypTokens = pythonSplit(pre(hyp));
    const hypLen = hypTokens.length;
    let closestDiff = -1;
    let closestLen = -1;
    for (const len of refLens) {
      const diff = Math.abs(hypLen - len);
      if (closestDiff === -1 || diff < closestDiff) {
        closestDiff = diff;
        closestLen = len;
      } else if (diff === closestDiff && len < closestLen) {
        closestLen = len;
      }
    }
    sysLen += hypLen;
    refLen += closestLen;
    for (const [key, count] of ngramCounts(hypTokens, maxOrder)) {
      const n = Number(key.slice(0, key.indexOf('\u0001')));
      total[n - 1] += count;
      correct[n - 1] += Math.min(count, refNgrams?.get(key) ?? 0);
    }
  });
  const result = computeBleu(correct, total, sysLen, refLen, {
    smoothMethod: options.smoothMethod ?? 'exp',
    smoothValue: options.smoothValue,
    effectiveOrder: options.effectiveOrder,
    maxNgramOrder: maxOrder,
  });
  const signature = bleuSignature(options, references.length);
  return {
    ...result,
    signature,
    toString() {
      const prec = result.precisions.map((p) => p.toFixed(1)).join('/');
      const ratio = result.refLen ? result.sysLen / result.refLen : 0;
      return `BLEU = ${result.score.toFixed(2)} ${prec} (BP = ${result.bp.toFixed(3)} ratio = ${ratio.toFixed(3)} hyp_len = ${result.sysLen} ref_len = ${result.refLen})`;
    },
  };
}
