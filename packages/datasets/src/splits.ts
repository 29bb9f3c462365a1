import { DatasetError } from './errors';
import { seededPermutation } from './random';
import type { ImageSplit, PairSplit, Split, TextSplit } from './types';

export function splitSize(s: Split): number {
  if (s.kind === 'images') return s.count;
  if (s.kind === 'text') return s.texts.length;
  return s.source.length;
}

/** A new split holding the examples at `indices` (text splits share the strings: no text is copied). */
export function selectExamples<S extends Split>(s: S, indices: ArrayLike<number>): S {
  const n = indices.length;
  if (s.kind === 'images') {
    const sz = s.height * s.width * s.channels;
    const lazy = s.image;
    // A lazy split stays lazy: the selection maps its indices, no image is read here.
    const picked = lazy ? Uint32Array.from(indices) : undefined;
    const images = new Uint8Array(lazy ? 0 : n * sz);
    // Not `new s.labels.constructor(n)`: labels read from a file are a Node Buffer, whose
    // constructor is the deprecated Buffer() (DEP0005).
    const labels = s.labels instanceof Int32Array ? new Int32Array(n) : new Uint8Array(n);
    const coarse = s.coarseLabels ? new Uint8Array(n) : undefined;
    for (let i = 0; i < n; i++) {
      const k = indices[i];
      if (!lazy) images.set(s.images.subarray(k * sz, (k + 1) * sz), i * sz);
      labels[i] = s.labels[k];
      if (coarse) coarse[i] = s.coarseLabels![k];
    }
    const out: ImageSplit = { ...s, images, labels, count: n };
    if (lazy && picked) out.image = (i) => lazy(picked[i]);
    if (coarse) out.coarseLabels = coarse;
    return out as S;
  }
  if (s.kind === 'text') {
    const out: TextSplit = {
      ...s,
      texts: Array.from({ length: n }, (_, i) => s.texts[indices[i]]),
      labels: Int32Array.from({ length: n }, (_, i) => s.labels[indices[i]]),
    };
    if (s.ratings) out.ratings = Int32Array.from({ length: n }, (_, i) => s.ratings![indices[i]]);
    if (s.domains) out.domains = Array.from({ length: n }, (_, i) => s.domains![indices[i]]);
    return out as S;
  }
  const out: PairSplit = {
    ...s,
    source: Array.from({ length: n }, (_, i) => s.source[indices[i]]),
    target: Array.from({ length: n }, (_, i) => s.target[indices[i]]),
  };
  if (s.attribution) out.attribution = Array.from({ length: n }, (_, i) => s.attribution![indices[i]]);
  return out as S;
}

/**
 * Indices of a seeded sample with `perClass` examples of every class (fewer where a class has
 * fewer), in ascending order: a subset whose metric stands for the split, unlike a prefix of
 * class-ordered data.
 */
export function stratifiedSample(labels: ArrayLike<number>, perClass: number, seed: number): number[] {
  if (!Number.isInteger(perClass) || perClass < 1)
    throw new DatasetError('BAD_ARGUMENT', `perClass must be a positive integer, got ${perClass}`);
  const taken = new Map<number, number>();
  const out: number[] = [];
  for (const i of seededPermutation(labels.length, seed)) {
    const c = labels[i];
    const n = taken.get(c) ?? 0;
    if (n < perClass) {
      taken.set(c, n + 1);
      out.push(i);
    }
  }
  return out.sort((a, b) => a - b);
}

export interface DatasetSplits<S extends Split = Split> {
  train: S;
  validation: S;
  test: S;
}

export interface SplitPlan {
  /** Fraction of the (official) train split held out for validation. Default 0.1. */
  validationFraction?: number;
  /** Only where there is no official test split: fraction of all examples used for test. Default 0.1. */
  testFraction?: number;
  /** Seed of the permutation that assigns examples to splits. Default 42. */
  seed?: number;
}

function partition(n: number, fractions: number[], seed: number): Uint32Array[] {
  const perm = seededPermutation(n, seed);
  const out: Uint32Array[] = [];
  let start = 0;
  for (const f of fractions) {
    const k = Math.round(n * f);
    out.push(perm.slice(start, start + k).sort());
    start += k;
  }
  out.push(perm.slice(start).sort());
  return out;
}

/**
 * Deterministic train / validation / test: the official test split is kept as is; validation is a
 * seeded sample of the official train split. Without an official test split, test and validation
 * are both seeded samples of all examples. Indices keep file order inside each split.
 */
export function deriveSplits<S extends Split>(
  train: S,
  test: S | undefined,
  plan: SplitPlan = {},
): DatasetSplits<S> {
  const vf = plan.validationFraction ?? 0.1;
  const tf = plan.testFraction ?? 0.1;
  const seed = plan.seed ?? 42;
  if (!(vf >= 0 && vf < 1) || !(tf >= 0 && tf < 1) || (!test && vf + tf >= 1)) {
    throw new DatasetError(
      'BAD_ARGUMENT',
      `split fractions must be in [0, 1) and leave a train split (validation ${vf}, test ${tf})`,
    );
  }
  const n = splitSize(train);
  if (test) {
    const [val, tr] = partition(n, [vf], seed);
    return {
      train: vf === 0 ? train : selectExamples(train, tr),
      validation: selectExamples(train, val),
      test,
    };
  }
  const [te, val, tr] = partition(n, [tf, vf], seed);
  return {
    train: selectExamples(train, tr),
    validation: selectExamples(train, val),
    test: selectExamples(train, te),
  };
}
