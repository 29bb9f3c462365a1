import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setWasmKernelFixes } from './wasm-kernel-fixes';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

afterAll(() => setWasmKernelFixes(tf, false));

type Case = [name: string, f: () => tf.Tensor];
const normal = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

const MATMUL: Case[] = (
  [
    ['plain 2-D', [5, 7], [7, 3], false, false],
    ['dx = dy·Wᵀ', [6, 4], [5, 4], false, true],
    ['dW = xᵀ·dy', [9, 4], [9, 5], true, false],
    ['both transposed', [4, 6], [5, 4], true, true],
    ['3-D batch 1, transposed', [1, 6, 4], [1, 5, 4], false, true],
    ['batched left, 2-D right', [3, 6, 4], [4, 5], false, false],
    ['batched left, 2-D right transposed', [2, 3, 6, 4], [5, 4], false, true],
    ['batched left transposed', [3, 4, 6], [4, 5], true, false],
    ['both batched', [3, 6, 4], [3, 4, 5], false, false],
    ['both batched, edges of every block (5 × 9 by 3)', [2, 5, 3], [2, 3, 9], false, false],
    ['attention scores q·kᵀ', [2, 3, 9, 4], [2, 3, 11, 4], false, true],
    ['attention values a·v', [2, 3, 9, 11], [2, 3, 11, 4], false, false],
    ['attention backward aᵀ·dy', [2, 3, 9, 11], [2, 3, 9, 4], true, false],
    ['unbatched left over a batch', [7, 6], [4, 6, 8], false, false],
    ['unbatched left over a batch, both transposed', [6, 7], [4, 8, 6], true, true],
  ] as const
).map(
  ([name, sa, sb, ta, tb], i): Case => [
    `matMul ${name}`,
    () => tf.matMul(normal([...sa], 1 + i), normal([...sb], 50 + i), ta, tb),
  ],
);

const TILE: Case[] = (
  [
    ['layer-norm broadcast', [4, 3, 1], [1, 1, 8]],
    ['class token over a batch', [1, 1, 5], [6, 1, 1]],
    ['every axis', [2, 3], [3, 2]],
    ['rank 1', [3], [4]],
    ['rank 4 mixed', [1, 2, 1, 2], [2, 1, 3, 2]],
    ['no repetition', [2, 2], [1, 1]],
  ] as const
).flatMap(([name, shape, reps], i): Case[] => [
  [`tile ${name}`, () => tf.tile(normal([...shape], 100 + i), [...reps])],
  [`tile ${name} int32`, () => tf.tile(tf.cast(tf.mul(normal([...shape], 200 + i), 10), 'int32'), [...reps])],
]);

const CASES = [...MATMUL, ...TILE];

async function run(cases: Case[]) {
  const out: { shape: number[]; dtype: string; values: number[] }[] = [];
  for (const [, f] of cases) {
    const t = tf.tidy(f);
    out.push({ shape: t.shape, dtype: t.dtype, values: Array.from(await t.data()) });
    t.dispose();
  }
  return out;
}

/** Counts calls of a wasm kernel while `f` runs. */
function counting(name: string, f: () => void): number {
  const stock = tf.getKernel(name, 'wasm')!;
  let calls = 0;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({
    ...stock,
    kernelFunc: (a) => {
      calls++;
      return stock.kernelFunc(a);
    },
  });
  try {
    f();
  } finally {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(stock);
  }
  return calls;
}

const backendIds = () =>
  (tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap.numDataIds();

describe('setWasmKernelFixes', () => {
  it("gives the stock kernels' results for every transpose, batch and tile layout, and leaks nothing", async () => {
    setWasmKernelFixes(tf, false);
    const stock = await run(CASES);
    setWasmKernelFixes(tf, true);
    const tensors = tf.memory().numTensors;
    const ids = backendIds();
    const fixed = await run(CASES);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backendIds()).toBe(ids); // the intermediate transposes, ones and reshapes are freed
    for (const [i, r] of fixed.entries()) {
      const name = CASES[i][0];
      expect(r.shape, name).toEqual(stock[i].shape);
      expect(r.dtype, name).toBe(stock[i].dtype);
      for (const [j, v] of r.values.entries()) expect(v, name).toBeCloseTo(stock[i].values[j], 4);
    }
  });

  it('writes nothing outside its output (tensors around it keep their values)', async () => {
    setWasmKernelFixes(tf, true);
    const before = tf.fill([257], 3);
    const a = normal([5, 6, 7], 1);
    const b = normal([5, 7, 9], 2);
    const c = tf.matMul(a, b);
    const after = tf.fill([257], 4);
    expect(new Set(await before.data())).toEqual(new Set([3]));
    expect(new Set(await after.data())).toEqual(new Set([4]));
    tf.dispose([before, a, b, c, after]);
  });

  it('takes the fast paths: transposed products through Transpose, Tile through Multiply', () => {
    setWasmKernelFixes(tf, true);
    const transposes = counting('Transpose', () => {
      tf.tidy(() => tf.matMul(tf.ones([8, 4]), tf.ones([5, 4]), false, true));
      tf.tidy(() => tf.matMul(tf.ones([4, 8]), tf.ones([5, 4]), true, true));
      tf.tidy(() => tf.matMul(tf.ones([3, 4, 8]), tf.ones([3, 4, 5]), true, false)); // batched: SIMD kernel
    });
    expect(transposes).toBe(4);
    // Untransposed products with no batch are the stock kernel's own XNNPACK path.
    expect(counting('Transpose', () => void tf.tidy(() => tf.matMul(tf.ones([4, 8]), tf.ones([8, 5]))))).toBe(
      0,
    );
    const multiplies = counting('Multiply', () => void tf.tidy(() => tf.tile(tf.ones([4, 1]), [1, 8])));
    expect(multiplies).toBe(1);
    setWasmKernelFixes(tf, false);
    expect(counting('Multiply', () => void tf.tidy(() => tf.tile(tf.ones([4, 1]), [1, 8])))).toBe(0);
  });

  it('gives the stock gradients of a dense product and a broadcast (a backward pass)', async () => {
    const x = normal([6, 4], 1);
    const w = normal([4, 3], 2);
    const f = (xx: tf.Tensor, ww: tf.Tensor) =>
      tf.sum(tf.square(tf.mul(tf.matMul(xx, ww), tf.broadcastTo(tf.mean(xx, -1, true), [6, 3]))));
    const grads = async () => {
      const g = tf.grads(f)([x, w]);
      const values = await Promise.all(g.map(async (t) => Array.from(await t.data())));
      tf.dispose(g);
      return values;
    };
    setWasmKernelFixes(tf, false);
    const stock = await grads();
    setWasmKernelFixes(tf, true);
    const fixed = await grads();
    for (const [i, g] of fixed.entries())
      for (const [j, v] of g.entries()) expect(v).toBeCloseTo(stock[i][j], 4);
    tf.dispose([x, w]);
  });
});
