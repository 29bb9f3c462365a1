import { DatasetError } from './errors';

/** mulberry32: a tiny 32-bit PRNG, identical on every platform for the same seed. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded Fisher-Yates permutation of 0..n-1. */
export function seededPermutation(n: number, seed: number): Uint32Array {
  if (!Number.isInteger(n) || n < 0)
    throw new DatasetError('BAD_ARGUMENT', `permutation size must be a non-negative integer, got ${n}`);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  const rand = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** Returns a new array with the items of `items` in a seeded random order (the input is not modified). */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const perm = seededPermutation(items.length, seed);
  const out = new Array<T>(items.length);
  for (let i = 0; i < perm.length; i++) out[i] = items[perm[i]];
  return out;
}

export interface TrainValidationIndices {
  train: Uint32Array;
  validation: Uint32Array;
}

/**
 * Deterministic split of `n` examples: a seeded permutation, the first `round(n * fraction)` indices
 * go to validation and the rest to train (each part sorted ascending, so reading stays in file order).
 */
export function splitTrainValidation(n: number, fraction: number, seed: number): TrainValidationIndices {
  if (!(fraction >= 0 && fraction < 1)) {
    throw new DatasetError('BAD_ARGUMENT', `validation fraction must be in [0, 1), got ${fraction}`);
  }
  const perm = seededPermutation(n, seed);
  const nVal = Math.round(n * fraction);
  const validation = perm.slice(0, nVal).sort();
  const train = perm.slice(nVal).sort();
  return { train, validation };
}
