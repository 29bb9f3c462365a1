import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './select-backend';
import { webgpuCensus } from './webgpu-census';
import { GEMM_TILES, planGemm, setWebGPUGemm } from './webgpu-gemm';

/** float64 reference of op(A[b]) · op(B[b]) with A stored [batchA, M, K] or [batchA, K, M] (transposed). */
function reference(
  a: Float32Array,
  b: Float32Array,
  s: { batchA: number; batchB: number; M: number; N: number; K: number; tA: boolean; tB: boolean },
): Float64Array {
  const batch = Math.max(s.batchA, s.batchB);
  const out = new Float64Array(batch * s.M * s.N);
  for (let z = 0; z < batch; z++) {
    const ao = (s.batchA === 1 ? 0 : z) * s.M * s.K;
    const bo = (s.batchB === 1 ? 0 : z) * s.K * s.N;
    for (let m = 0; m < s.M; m++)
      for (let n = 0; n < s.N; n++) {
        let acc = 0;
        for (let k = 0; k < s.K; k++) {
          const av = a[ao + (s.tA ? k * s.M + m : m * s.K + k)];
          const bv = b[bo + (s.tB ? n * s.K + k : k * s.N + n)];
          acc += av * bv;
        }
        out[(z * s.M + m) * s.N + n] = acc;
      }
  }
  return out;
}

function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + seed) * 0.5);
}

function maxError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < expected.length; i++) e = Math.max(e, Math.abs(actual[i] - expected[i]));
  return e;
}

function withForce<T>(tile: string | undefined, splits: number | undefined, f: () => Promise<T>): Promise<T> {
  const saved = [process.env.ATTNZOO_WEBGPU_GEMM_TILE, process.env.ATTNZOO_WEBGPU_GEMM_SPLITS];
  if (tile) process.env.ATTNZOO_WEBGPU_GEMM_TILE = tile;
  if (splits) process.env.ATTNZOO_WEBGPU_GEMM_SPLITS = String(splits);
  return f().finally(() => {
    for (const [k, v] of [
      ['ATTNZOO_WEBGPU_GEMM_TILE', saved[0]],
      ['ATTNZOO_WEBGPU_GEMM_SPLITS', saved[1]],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

describe('planGemm', () => {
  it('splits K for narrow outputs over a long reduction (weight gradients)', () => {
    const p = planGemm({ batch: 1, M: 192, N: 192, K: 33280 });
    expect(p.splits).toBeGreaterThan(8);
    expect(p.kChunk * p.splits).toBeGreaterThanOrEqual(33280);
    expect(p.kChunk * (p.splits - 1)).toBeLessThan(33280);
  });
  it('uses large tiles without splitting for tall forward products', () => {
    const p = planGemm({ batch: 1, M: 33280, N: 384, K: 192 });
    expect(p.splits).toBe(1);
    expect(p.tile).toBe('128x128k16');
  });
  it('picks the tile that pads least where every tile pads (attention products, 65 × 65)', () => {
    expect(planGemm({ batch: 3072, M: 65, N: 65, K: 32 }).tile).toBe('32x32');
  });
  it('rejects an unknown forced tile with the accepted names', () => {
    expect(() => planGemm({ batch: 1, M: 8, N: 8, K: 8 }, { tile: '7x7' })).toThrow(/128x128/);
  });
});

// The real WGSL on Mesa's software adapter, against a float64 reference.
describe('attnzoo GEMM on webgpu (software adapter)', () => {
  beforeAll(async () => {
    await selectBackend(tf, { backend: 'webgpu', webgpu: { adapter: 'software' }, log: () => {} });
  });
  afterEach(() => setWebGPUGemm(true));

  const cases = [
    // odd sizes (not tile multiples), every transpose combination, batched and broadcast
    { batchA: 1, batchB: 1, M: 67, N: 45, K: 29, tA: false, tB: false },
    { batchA: 1, batchB: 1, M: 67, N: 45, K: 29, tA: true, tB: false },
    { batchA: 1, batchB: 1, M: 67, N: 45, K: 29, tA: false, tB: true },
    { batchA: 1, batchB: 1, M: 67, N: 45, K: 29, tA: true, tB: true },
    { batchA: 3, batchB: 3, M: 13, N: 65, K: 33, tA: false, tB: true },
    { batchA: 3, batchB: 1, M: 130, N: 7, K: 17, tA: false, tB: false },
    { batchA: 1, batchB: 2, M: 5, N: 129, K: 40, tA: true, tB: false },
    { batchA: 1, batchB: 1, M: 1, N: 1, K: 1, tA: false, tB: false },
    // multiples of 4 past one tile: whole interior tiles (unguarded vec4 reads) beside edge tiles
    { batchA: 2, batchB: 2, M: 136, N: 132, K: 40, tA: false, tB: false },
    { batchA: 2, batchB: 2, M: 136, N: 132, K: 40, tA: true, tB: true },
    { batchA: 1, batchB: 1, M: 260, N: 68, K: 36, tA: true, tB: false },
    { batchA: 1, batchB: 1, M: 68, N: 260, K: 36, tA: false, tB: true },
  ];
  for (const tile of Object.keys(GEMM_TILES)) {
    for (const [ci, s] of cases.entries()) {
      it(`tile ${tile}, case ${ci} (${s.batchA}/${s.batchB}×${s.M}×${s.K}×${s.N}, tA ${s.tA}, tB ${s.tB})`, async () => {
        const a = values(s.batchA * s.M * s.K, ci);
        const b = values(s.batchB * s.K * s.N, ci + 0.5);
        const aShape = s.tA ? [s.batchA, s.K, s.M] : [s.batchA, s.M, s.K];
        const bShape = s.tB ? [s.batchB, s.N, s.K] : [s.batchB, s.K, s.N];
        const got = await withForce(tile, undefined, async () => {
          const y = tf.tidy(() => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), s.tA, s.tB));
          const census = await webgpuCensus(tf, async () => {
            const z = tf.tidy(() => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), s.tA, s.tB));
            await z.data();
            z.dispose();
          });
          expect(census.census.byKernel.map((p) => p.kernel)).toContain(`AttnzooGemm${tile}`);
          const data = await y.data();
          y.dispose();
          return data;
        });
        expect(maxError(got, reference(a, b, s))).toBeLessThan(1e-5 * Math.max(1, s.K));
      });
    }
  }

  it('split K: every split count gives the same sums, with bias and relu fused', async () => {
    const M = 37;
    const N = 21;
    const K = 1000;
    const a = values(K * M, 1);
    const b = values(K * N, 2);
    const bias = values(N, 3);
    const ref = reference(a, b, { batchA: 1, batchB: 1, M, N, K, tA: true, tB: false });
    const expected = Array.from(ref, (v, i) => Math.max(0, v + bias[i % N]));
    for (const splits of [1, 2, 7, 16, 125]) {
      const got = await withForce('32x32', splits, async () => {
        const y = tf.tidy(() =>
          tf.fused.matMul({
            a: tf.tensor2d(a, [K, M]),
            b: tf.tensor2d(b, [K, N]),
            transposeA: true,
            bias: tf.tensor1d(bias),
            activation: 'relu',
          }),
        );
        const d = await y.data();
        y.dispose();
        return d;
      });
      expect(maxError(got, expected), `splits ${splits}`).toBeLessThan(1e-4);
    }
  });

  it('gives the same gradients as the stock kernels through a dense layer', async () => {
    const x = tf.tensor2d(values(70 * 24, 4), [70, 24]);
    const w = tf.tensor2d(values(24 * 36, 5), [24, 36]);
    const bias = tf.tensor1d(values(36, 6));
    const grads = tf.grads((xx, ww, bb) =>
      tf.sum(tf.square(tf.fused.matMul({ a: xx, b: ww, bias: bb, activation: 'elu' }))),
    );
    const ours = await Promise.all(grads([x, w, bias]).map((g) => g.data()));
    setWebGPUGemm(false);
    const stock = await Promise.all(grads([x, w, bias]).map((g) => g.data()));
    for (let i = 0; i < 3; i++) expect(maxError(ours[i], stock[i]), `gradient ${i}`).toBeLessThan(1e-4);
  });

  it('leaves int32 products and prelu to the stock kernels', async () => {
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    const f = tf.tensor2d([1, -2, 3, 4], [2, 2]);
    const { census } = await webgpuCensus(tf, async () => {
      await tf.matMul(a, a).data();
      const y = tf.fused.matMul({ a: f, b: f, activation: 'prelu', preluActivationWeights: tf.scalar(0.5) });
      expect(Array.from(await y.data())).toEqual([-2.5, -5, 15, 10]);
    });
    expect(census.byKernel.some((p) => p.kernel.startsWith('AttnzooGemm'))).toBe(false);
    expect(census.dispatches).toBeGreaterThan(0);
  });
});
