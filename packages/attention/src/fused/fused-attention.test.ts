import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs's own ops
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attentionHeads, scaledDotProductAttention } from '../scaled-dot-product';
import { TEST_BACKENDS, useBackend } from '../testing/backends';
import { maxAbsDiff, randomValues } from '../testing/layer-weights';
import {
  fusedAttention,
  fusedAttentionAvailable,
  fusedAttentionCallCount,
  setFusedAttentionEnabled,
} from './fused-attention';
import { type HeadsCase as Case, referenceHeads } from './reference-heads';
import { SMALL_TILES, setFusedAttentionTiles } from './tiles';

function inputs(c: Case, seed: number) {
  const q = randomValues(c.B * c.H * c.L * c.D, seed);
  const k = randomValues(c.B * c.H * c.S * c.D, seed + 1);
  const v = randomValues(c.B * c.H * c.S * c.D, seed + 2);
  // Batch 0 pads its last 5 keys, batch 1 none (so one row sees only real keys).
  const m = c.mask
    ? Array.from({ length: c.B * c.S }, (_, i) => (i < c.S && i % c.S >= c.S - 5 ? 0 : 1))
    : undefined;
  return { q, k, v, m };
}

const label = (c: Case) =>
  `L=${c.L} S=${c.S} dk=${c.D}${c.mask ? ' padding' : ''}${c.causal ? ' causal' : ''}`;

const forwardCases: Case[] = [32, 64, 128].flatMap((D) =>
  [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ].map(([mask, causal]) => ({ B: 2, H: 2, L: 37, S: 37, D, mask, causal })),
);
// Cross-attention shapes: fewer queries than keys (causal offset S − L) and more.
forwardCases.push({ B: 2, H: 1, L: 5, S: 70, D: 64, mask: true, causal: true });
forwardCases.push({ B: 2, H: 1, L: 70, S: 9, D: 32, mask: true, causal: false });
// Head sizes that are not multiples of 4 or of the tiles.
forwardCases.push({ B: 1, H: 3, L: 66, S: 66, D: 6, mask: true, causal: true });

const gradientCases: Case[] = [
  { B: 2, H: 2, L: 37, S: 37, D: 32, mask: true, causal: true },
  { B: 2, H: 1, L: 37, S: 37, D: 64, mask: false, causal: false },
  { B: 1, H: 2, L: 37, S: 37, D: 128, mask: true, causal: false },
  { B: 2, H: 1, L: 5, S: 41, D: 32, mask: true, causal: true },
];

describe('fused attention on the software WebGPU adapter', () => {
  beforeAll(async () => {
    await useBackend('webgpu');
    expect(fusedAttentionAvailable()).toBe(true);
  });

  it.each(
    forwardCases.map((c) => [label(c), c] as const),
  )('forward %s: fused = unfused = float64', async (_, c) => {
    const { q, k, v, m } = inputs(c, 7);
    const qt = tf.tensor4d(q, [c.B, c.H, c.L, c.D]);
    const kt = tf.tensor4d(k, [c.B, c.H, c.S, c.D]);
    const vt = tf.tensor4d(v, [c.B, c.H, c.S, c.D]);
    const mt = m ? tf.tensor2d(m, [c.B, c.S]) : undefined;
    const before = fusedAttentionCallCount();
    const fused = await fusedAttention(qt, kt, vt, { keyPaddingMask: mt, causal: c.causal }).data();
    expect(fusedAttentionCallCount()).toBe(before + 1);
    setFusedAttentionEnabled(false);
    const unfused = await attentionHeads(qt, kt, vt, { keyPaddingMask: mt, causal: c.causal }).data();
    setFusedAttentionEnabled(true);
    const reference = referenceHeads(q, k, v, m, c);
    expect(maxAbsDiff(fused, reference)).toBeLessThan(2e-5);
    expect(maxAbsDiff(fused, unfused)).toBeLessThan(2e-5);
  });

  it.each(gradientCases.map((c) => [label(c), c] as const))('gradients %s: fused = unfused', async (_, c) => {
    const { q, k, v, m } = inputs(c, 19);
    const qt = tf.tensor4d(q, [c.B, c.H, c.L, c.D]);
    const kt = tf.tensor4d(k, [c.B, c.H, c.S, c.D]);
    const vt = tf.tensor4d(v, [c.B, c.H, c.S, c.D]);
    const mt = m ? tf.tensor2d(m, [c.B, c.S]) : undefined;
    const r = tf.tensor4d(randomValues(c.B * c.H * c.L * c.D, 23), [c.B, c.H, c.L, c.D]);
    const grads = (fused: boolean) => {
      setFusedAttentionEnabled(fused);
      try {
        const f = (a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) =>
          tf.sum(
            tf.mul(
              attentionHeads(a as tf.Tensor4D, b as tf.Tensor4D, d as tf.Tensor4D, {
                keyPaddingMask: mt,
                causal: c.causal,
              }),
              r,
            ),
          );
        return tf.grads(f)([qt, kt, vt]);
      } finally {
        setFusedAttentionEnabled(true);
      }
    };
    const before = fusedAttentionCallCount();
    const g1 = await Promise.all(grads(true).map((g) => g.data()));
    expect(fusedAttentionCallCount()).toBe(before + 1);
    const g0 = await Promise.all(grads(false).map((g) => g.data()));
    for (let i = 0; i < 3; i++) expect(maxAbsDiff(g1[i], g0[i])).toBeLessThan(1e-4);
  });

  it.each([
    { B: 2, H: 1, L: 37, S: 37, D: 64, mask: true, causal: true },
    { B: 1, H: 2, L: 45, S: 70, D: 128, mask: false, causal: true },
  ])('the small tiles (16 KiB devices) give the same forward and gradients: L=$L S=$S dk=$D', async (c) => {
    const { q, k, v, m } = inputs(c, 29);
    const qt = tf.tensor4d(q, [c.B, c.H, c.L, c.D]);
    const kt = tf.tensor4d(k, [c.B, c.H, c.S, c.D]);
    const vt = tf.tensor4d(v, [c.B, c.H, c.S, c.D]);
    const mt = m ? tf.tensor2d(m, [c.B, c.S]) : undefined;
    const run = async () => {
      const f = (a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) =>
        tf.sum(
          tf.square(
            fusedAttention(a as tf.Tensor4D, b as tf.Tensor4D, d as tf.Tensor4D, {
              keyPaddingMask: mt,
              causal: c.causal,
            }),
          ),
        );
      const out = await fusedAttention(qt, kt, vt, { keyPaddingMask: mt, causal: c.causal }).data();
      const g = await Promise.all(
        tf
          .grads(f)([qt, kt, vt])
          .map((t) => t.data()),
      );
      return [out, ...g];
    };
    const large = await run();
    setFusedAttentionTiles(SMALL_TILES);
    try {
      const small = await run();
      expect(maxAbsDiff(small[0], referenceHeads(q, k, v, m, c))).toBeLessThan(2e-5);
      for (let i = 0; i < 4; i++) expect(maxAbsDiff(small[i], large[i])).toBeLessThan(1e-4);
    } finally {
      setFusedAttentionTiles(undefined);
    }
  });

  it('fully padded batch rows match the unfused path (uniform weights, like the −1e9 bias)', async () => {
    const c: Case = { B: 2, H: 1, L: 9, S: 9, D: 8, mask: true, causal: false };
    const { q, k, v } = inputs(c, 3);
    const m = [...new Array(9).fill(0), ...new Array(9).fill(1)];
    const args = [
      tf.tensor4d(q, [2, 1, 9, 8]),
      tf.tensor4d(k, [2, 1, 9, 8]),
      tf.tensor4d(v, [2, 1, 9, 8]),
    ] as const;
    const mt = tf.tensor2d(m, [2, 9]);
    const fused = await fusedAttention(...args, { keyPaddingMask: mt }).data();
    const bias = tf.reshape(tf.mul(tf.sub(1, mt), -1e9), [2, 1, 1, 9]);
    const unfused = await scaledDotProductAttention(...args, { bias }).output.data();
    expect(maxAbsDiff(fused, unfused)).toBeLessThan(2e-5);
  });

  it('keeps the unfused path under dropout in training, and when switched off', async () => {
    const x = tf.tensor4d(randomValues(2 * 1 * 8 * 8, 5), [2, 1, 8, 8]);
    const before = fusedAttentionCallCount();
    attentionHeads(x, x, x, { dropout: 0.5, training: true, seed: 1 }).dispose();
    setFusedAttentionEnabled(false);
    attentionHeads(x, x, x).dispose();
    setFusedAttentionEnabled(true);
    expect(fusedAttentionCallCount()).toBe(before);
    attentionHeads(x, x, x, { dropout: 0.5, training: false }).dispose();
    expect(fusedAttentionCallCount()).toBe(before + 1);
  });

  it('rejects mismatched shapes and masks', () => {
    const q = tf.zeros([1, 2, 4, 8]) as tf.Tensor4D;
    const k = tf.zeros([1, 2, 5, 8]) as tf.Tensor4D;
    expect(() => fusedAttention(q, k, tf.zeros([1, 2, 5, 4]) as tf.Tensor4D)).toThrow(/must be/);
    expect(() => fusedAttention(q, k, k, { keyPaddingMask: tf.ones([1, 4]) })).toThrow(/padding mask/);
  });
});

describe.each(TEST_BACKENDS.filter((b) => b !== 'webgpu'))('on %s the unfused path is kept', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });
  afterAll(async () => {
    if (TEST_BACKENDS.includes('webgpu')) await useBackend('webgpu');
  });

  it('attentionHeads does not call the fused kernel and fusedAttention refuses', async () => {
    const c: Case = { B: 1, H: 2, L: 7, S: 7, D: 4, mask: true, causal: true };
    const { q, k, v, m } = inputs(c, 11);
    const before = fusedAttentionCallCount();
    const out = await attentionHeads(
      tf.tensor4d(q, [1, 2, 7, 4]),
      tf.tensor4d(k, [1, 2, 7, 4]),
      tf.tensor4d(v, [1, 2, 7, 4]),
      {
        keyPaddingMask: tf.tensor2d(m as number[], [1, 7]),
        causal: true,
      },
    ).data();
    expect(fusedAttentionCallCount()).toBe(before);
    expect(fusedAttentionAvailable()).toBe(false);
    expect(maxAbsDiff(out, referenceHeads(q, k, v, m, c))).toBeLessThan(2e-5);
    const x = tf.zeros([1, 1, 2, 4]) as tf.Tensor4D;
    expect(() => fusedAttention(x, x, x)).toThrow(/webgpu backend only/);
  });
});
