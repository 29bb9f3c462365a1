import * as tf from '@tensorflow/tfjs-core';
import type { MultiHeadAttention } from '../multi-head-attention';
import type { Matrix, ReferenceWeights } from './reference-attention';

/** Reference weight key → the layer's weight name. */
export const WEIGHT_NAMES: Record<keyof ReferenceWeights, string> = {
  wq: 'query_kernel',
  bq: 'query_bias',
  wk: 'key_kernel',
  bk: 'key_bias',
  wv: 'value_kernel',
  bv: 'value_bias',
  wo: 'output_kernel',
  bo: 'output_bias',
  wa: 'mixing_kernel',
  ba: 'mixing_bias',
};

function find(layer: MultiHeadAttention, suffix: string) {
  return layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`) || w.originalName === suffix);
}

/** Reads a built layer's weights as plain float64 arrays for the reference implementation. */
export async function referenceWeightsOf(layer: MultiHeadAttention): Promise<ReferenceWeights> {
  const out: Partial<Record<keyof ReferenceWeights, unknown>> = {};
  for (const [key, suffix] of Object.entries(WEIGHT_NAMES) as [keyof ReferenceWeights, string][]) {
    const w = find(layer, suffix);
    if (w) out[key] = await w.read().array();
  }
  return out as unknown as ReferenceWeights;
}

/** Overwrites one named weight of a built layer (e.g. wv = I for the identities). */
export function setWeight(
  layer: MultiHeadAttention,
  key: keyof ReferenceWeights,
  values: Matrix | number[],
): void {
  const w = find(layer, WEIGHT_NAMES[key]);
  if (!w) throw new Error(`layer ${layer.name} has no ${WEIGHT_NAMES[key]}`);
  w.write(tf.tensor(values as number[][], w.shape as number[]));
}

export function identity(n: number): Matrix {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
}

/** Deterministic pseudo-random values in [-1, 1) (mulberry32), so failures reproduce. */
export function randomValues(count: number, seed: number): number[] {
  let a = seed >>> 0;
  return Array.from({ length: count }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  });
}

export function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const v = randomValues(rows * cols, seed);
  return Array.from({ length: rows }, (_, i) => v.slice(i * cols, (i + 1) * cols));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
