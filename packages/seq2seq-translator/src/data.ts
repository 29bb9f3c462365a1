/**
 * Parallel data: a deterministic train/validation/test split grouped by English sentence (so
 * no English sentence of the test split appears in training, even where Anki lists several
 * Spanish translations of it), and encoding into fixed-size id blocks for teacher forcing.
 */

export interface ParallelCorpus {
  /** English. */
  source: string[];
  /** Spanish. */
  target: string[];
}

export interface ParallelSplits {
  train: ParallelCorpus;
  validation: ParallelCorpus;
  test: ParallelCorpus;
}

export interface SplitOptions {
  /** Share of English sentences held out for validation (default 0.03). */
  validationFraction?: number;
  /** Share of English sentences held out for test (default 0.05). */
  testFraction?: number;
  /** Salt of the hash that assigns sentences (default 'attnzoo-en-es-v1'). */
  salt?: string;
}

/** The grouping key: English sentence, lower-cased, whitespace collapsed. */
export function sentenceKey(english: string): string {
  return english.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** FNV-1a over UTF-16 code units, mapped to [0, 1). Stable across platforms and file versions. */
function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // One extra avalanche round: FNV's low bits are weak for short strings.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h / 2 ** 32;
}

/**
 * Assigns each pair by a hash of its English sentence: every pair with the same (normalised)
 * English sentence lands in the same split. Deterministic, independent of file order, and a
 * sentence keeps its split when the corpus grows.
 */
export function splitParallel(corpus: ParallelCorpus, options: SplitOptions = {}): ParallelSplits {
  const val = options.validationFraction ?? 0.03;
  const test = options.testFraction ?? 0.05;
  if (!(val >= 0 && test >= 0 && val + test < 1)) {
    throw new Error(
      `validationFraction ${val} and testFraction ${test} must be >= 0 and sum to less than 1.`,
    );
  }
  if (corpus.source.length !== corpus.target.length) {
    throw new Error(`${corpus.source.length} source sentences but ${corpus.target.length} targets.`);
  }
  const salt = options.salt ?? 'attnzoo-en-es-v1';
  const out: ParallelSplits = {
    train: { source: [], target: [] },
    validation: { source: [], target: [] },
    test: { source: [], target: [] },
  };
  corpus.source.forEach((en, i) => {
    const u = unitHash(`${salt}\u0000${sentenceKey(en)}`);
    const split = u < test ? out.test : u < test + val ? out.validation : out.train;
    split.source.push(en);
    split.target.push(corpus.target[i]);
  });
  return out;
}

/** What teacher forcing needs, row-major: every row padded with `padId`. */
export interface EncodedPairs {
  count: number;
  sourceLength: number;
  targetLength: number;
  /** [count, sourceLength]: tokens + EOS. */
  source: Int32Array;
  /** [count, targetLength]: BOS + tokens. */
  decoderInput: Int32Array;
  /** [count, targetLength]: tokens + EOS (the decoder input shifted left); padding = padId. */
  labels: Int32Array;
  /** Indices (into the input) of the pairs kept. */
  kept: number[];
  /** Pairs left out because a side did not fit (only with `dropLong`). */
  dropped: number;
}

export interface TokenIds {
  padId: number;
  bosId: number;
  eosId: number;
}

/**
 * Encodes token id lists for teacher forcing. With `dropLong`, pairs whose source (+EOS) or
 * target (+EOS) does not fit are left out (training); otherwise they are truncated.
 */
export function encodePairs(
  sourceIds: readonly (readonly number[])[],
  targetIds: readonly (readonly number[])[],
  ids: TokenIds,
  lengths: { sourceLength: number; targetLength: number },
  options: { dropLong?: boolean } = {},
): EncodedPairs {
  const { sourceLength: S, targetLength: T } = lengths;
  const kept: number[] = [];
  for (let i = 0; i < sourceIds.length; i++) {
    const fits = sourceIds[i].length + 1 <= S && targetIds[i].length + 1 <= T;
    if (fits || !options.dropLong) kept.push(i);
  }
  const n = kept.length;
  const source = new Int32Array(n * S).fill(ids.padId);
  const decoderInput = new Int32Array(n * T).fill(ids.padId);
  const labels = new Int32Array(n * T).fill(ids.padId);
  kept.forEach((k, r) => {
    const s = sourceIds[k].slice(0, S - 1);
    source.set(s, r * S);
    source[r * S + s.length] = ids.eosId;
    const t = targetIds[k].slice(0, T - 1);
    decoderInput[r * T] = ids.bosId;
    decoderInput.set(t, r * T + 1);
    labels.set(t, r * T);
    labels[r * T + t.length] = ids.eosId;
  });
  return {
    count: n,
    sourceLength: S,
    targetLength: T,
    source,
    decoderInput,
    labels,
    kept,
    dropped: sourceIds.length - n,
  };
}

/** The first `limit` pairs of encoded data (all of them when `limit` is left out or larger). */
export function headPairs(e: EncodedPairs, limit: number | undefined): EncodedPairs {
  if (!limit || limit >= e.count) return e;
  const S = e.sourceLength;
  const T = e.targetLength;
  return {
    ...e,
    count: limit,
    source: e.source.slice(0, limit * S),
    decoderInput: e.decoderInput.slice(0, limit * T),
    labels: e.labels.slice(0, limit * T),
    kept: e.kept.slice(0, limit),
  };
}
