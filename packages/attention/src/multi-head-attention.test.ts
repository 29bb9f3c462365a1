import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MultiHeadAttention, type MultiHeadAttentionArgs } from './index';
import { fusedAttentionCallCount } from './kernels';
import { TEST_BACKENDS, tolerance, useBackend } from './testing/backends';
import { identity, maxAbsDiff, randomMatrix, referenceWeightsOf, setWeight } from './testing/layer-weights';
import { type Matrix, matmul, referenceAttention } from './testing/reference-attention';
import { ATTENTION_VARIANTS, type AttentionVariant } from './variants';

const L = 5;
const D = 8;
const H = 2;

function layer(variant: AttentionVariant, extra: Partial<MultiHeadAttentionArgs> = {}): MultiHeadAttention {
  // Super starts from a random Wa so that its mixing is really exercised.
  return new MultiHeadAttention({
    variant,
    numHeads: H,
    maxLength: 7,
    mixingInitializer: 'glorotUniform',
    seed: 11,
    ...extra,
  });
}

/** Runs the layer on plain arrays (one example per entry) and reads the result asynchronously (webgpu has no sync read in Node). */
async function run(
  m: MultiHeadAttention,
  inputs: (Matrix[] | number[][])[],
  kwargs = {},
): Promise<number[][][]> {
  const tensors = inputs.map((x) => tf.tensor(x as number[][][]));
  const out = m.apply(tensors.length === 1 ? tensors[0] : tensors, kwargs) as tf.Tensor;
  return (await out.array()) as number[][][];
}

const flat = (x: number[][][] | Matrix) => x.flat(2) as number[];

describe.each(TEST_BACKENDS)('MultiHeadAttention on %s', (backend) => {
  const tol = tolerance(backend);
  beforeAll(async () => {
    await useBackend(backend);
    expect(tf.getBackend()).toBe(backend);
  });

  it.each(
    ATTENTION_VARIANTS,
  )('%s matches the float64 reference (padding mask, cross-attention)', async (variant) => {
    const mha = layer(variant, { attentionType: 'cross', useKeyPaddingMask: true });
    const query = [randomMatrix(3, D, 1), randomMatrix(3, D, 2)];
    const context = [randomMatrix(L, D, 3), randomMatrix(L, D, 4)];
    const mask = [
      [1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1],
    ];
    const out = await run(mha, [query, context, mask]);
    const w = await referenceWeightsOf(mha);
    const expected = [0, 1].map((b) =>
      referenceAttention(query[b], context[b], w, { numHeads: H, keyMask: mask[b] }),
    );
    expect(maxAbsDiff(flat(out), flat(expected))).toBeLessThan(tol * 5);
  });

  it.each(ATTENTION_VARIANTS)('%s matches the reference with a causal mask', async (variant) => {
    const mha = layer(variant, { causal: true });
    const x = randomMatrix(L, D, 5);
    const out = await run(mha, [[x]]);
    const expected = referenceAttention(x, x, await referenceWeightsOf(mha), { numHeads: H, causal: true });
    expect(maxAbsDiff(flat(out), flat(expected))).toBeLessThan(tol * 5);
  });

  describe('identities (biases off)', () => {
    const x = [randomMatrix(L, D, 6), randomMatrix(L, D, 7)];
    const build = async (variant: AttentionVariant) => {
      const m = layer(variant, { useBias: false });
      await run(m, [x]);
      return m;
    };
    const copy = async (from: MultiHeadAttention, to: MultiHeadAttention, keys: ('wq' | 'wk' | 'wo')[]) => {
      const w = await referenceWeightsOf(from);
      for (const k of keys) setWeight(to, k, w[k]!);
    };

    it('optimised == sdpa with Wv = I', async () => {
      const sdpa = await build('sdpa');
      const opt = await build('optimised');
      await copy(opt, sdpa, ['wq', 'wk', 'wo']);
      setWeight(sdpa, 'wv', identity(D));
      expect(maxAbsDiff(flat(await run(sdpa, [x])), flat(await run(opt, [x])))).toBeLessThan(tol);
    });

    it('efficient == sdpa with Wk = Wv = I', async () => {
      const sdpa = await build('sdpa');
      const eff = await build('efficient');
      await copy(eff, sdpa, ['wq', 'wo']);
      setWeight(sdpa, 'wk', identity(D));
      setWeight(sdpa, 'wv', identity(D));
      expect(maxAbsDiff(flat(await run(sdpa, [x])), flat(await run(eff, [x])))).toBeLessThan(tol);
    });

    it('super == efficient with Wa = I, and differs with a random Wa', async () => {
      const sup = await build('super');
      const eff = await build('efficient');
      await copy(eff, sup, ['wq', 'wo']);
      const efficient = flat(await run(eff, [x]));
      expect(maxAbsDiff(flat(await run(sup, [x])), efficient)).toBeGreaterThan(1e-3);
      setWeight(sup, 'wa', identity(7));
      expect(maxAbsDiff(flat(await run(sup, [x])), efficient)).toBeLessThan(tol);
    });

    it.each(ATTENTION_VARIANTS)('%s with h = 1, L = 1 reduces to its value row times Wo', async (variant) => {
      const m = layer(variant, { numHeads: 1, useBias: false, maxLength: 1 });
      const x1 = randomMatrix(1, D, 9);
      const out = await run(m, [[x1]]);
      const w = await referenceWeightsOf(m);
      let value = x1;
      if (w.wv) value = matmul(value, w.wv);
      if (w.wa) value = value.map((r) => r.map((v) => v * w.wa![0][0]));
      expect(maxAbsDiff(flat(out), flat(matmul(value, w.wo)))).toBeLessThan(tol);
    });

    it('permuting keys and values leaves sdpa, optimised and efficient unchanged, but not super', async () => {
      const perm = [3, 0, 4, 1, 2];
      const query = [randomMatrix(2, D, 13)];
      const ctx = randomMatrix(L, D, 14);
      const mask = [1, 1, 0, 1, 1];
      for (const variant of ATTENTION_VARIANTS) {
        const m = layer(variant, { attentionType: 'cross', useKeyPaddingMask: true });
        const a = flat(await run(m, [query, [ctx], [mask]]));
        const b = flat(await run(m, [query, [perm.map((i) => ctx[i])], [perm.map((i) => mask[i])]]));
        if (variant === 'super') expect(maxAbsDiff(a, b), variant).toBeGreaterThan(1e-3);
        else expect(maxAbsDiff(a, b), variant).toBeLessThan(tol);
      }
    });
  });

  it.each(ATTENTION_VARIANTS)('%s takes the fused kernel exactly on webgpu', async (variant) => {
    const before = fusedAttentionCallCount();
    await run(layer(variant, { causal: true, useKeyPaddingMask: true }), [
      [randomMatrix(L, D, 8)],
      [[1, 1, 1, 1, 0]],
    ]);
    expect(fusedAttentionCallCount() - before).toBe(backend === 'webgpu' ? 1 : 0);
    // Asking for the attention weights needs the L × S matrix: always the unfused path.
    const withWeights = fusedAttentionCallCount();
    layer(variant, { returnAttentionWeights: true }).apply(tf.tensor([randomMatrix(L, D, 9)]));
    expect(fusedAttentionCallCount()).toBe(withWeights);
  });

  it.each(
    ATTENTION_VARIANTS,
  )('%s is causal: changing token t+1 changes no output at positions ≤ t', async (variant) => {
    const m = layer(variant, { causal: true });
    const x = randomMatrix(L, D, 21);
    const base = (await run(m, [[x]]))[0];
    for (let t = 0; t < L - 1; t++) {
      const changed = x.map((row, i) => (i === t + 1 ? row.map((v) => v + 3) : row));
      const out = (await run(m, [[changed]]))[0];
      for (let i = 0; i <= t; i++) expect(maxAbsDiff(out[i], base[i])).toBeLessThan(tol);
      expect(maxAbsDiff(out[t + 1], base[t + 1])).toBeGreaterThan(1e-4);
    }
  });

  it.each(
    ATTENTION_VARIANTS,
  )('%s ignores padded keys: changing them changes no real position', async (variant) => {
    const m = layer(variant, { useKeyPaddingMask: true });
    const x = randomMatrix(L, D, 31);
    const mask = [[1, 1, 1, 0, 0]];
    const base = (await run(m, [[x], mask]))[0];
    const changed = x.map((row, i) => (i >= 3 ? row.map((v) => v * -2 + 1) : row));
    const out = (await run(m, [[changed], mask]))[0];
    for (let i = 0; i < 3; i++) expect(maxAbsDiff(out[i], base[i])).toBeLessThan(tol);
  });
});

describe('MultiHeadAttention shapes and errors', () => {
  beforeAll(() => useBackend('cpu'));
  const x = (length: number, width = D) => [randomMatrix(length, width, length * 7 + width)];

  it('returns attention weights when asked, rows summing to 1', async () => {
    const m = layer('efficient', { returnAttentionWeights: true });
    const [out, weights] = m.apply(tf.tensor([randomMatrix(L, D, 1), randomMatrix(L, D, 2)])) as tf.Tensor[];
    expect(out.shape).toEqual([2, L, D]);
    expect(weights.shape).toEqual([2, H, L, L]);
    const sums = await tf.sum(weights, -1).data();
    expect(maxAbsDiff(sums, new Array(sums.length).fill(1))).toBeLessThan(1e-5);
  });

  it('Super uses the top-left block of Wa for shorter inputs', async () => {
    const m = layer('super');
    await run(m, [x(7)]);
    const short = x(4);
    const expected = referenceAttention(short[0], short[0], await referenceWeightsOf(m), { numHeads: H });
    expect(maxAbsDiff(flat(await run(m, [short])), flat(expected))).toBeLessThan(2e-5);
  });

  it('rejects a width not divisible by the heads', async () => {
    await expect(run(new MultiHeadAttention({ variant: 'sdpa', numHeads: 3 }), [x(2)])).rejects.toThrow(
      'Model width 8 is not divisible by numHeads 3: choose a width that is a multiple of the head count.',
    );
  });

  it('rejects Super inputs longer than maxLength', async () => {
    await expect(run(layer('super', { maxLength: 4 }), [x(6)])).rejects.toThrow(
      /Super attention was built for sequences of at most 4 tokens .* but got 6: truncate inputs to 4 or rebuild with a larger maxLength/,
    );
  });

  it('rejects Super without maxLength', () => {
    expect(() => new MultiHeadAttention({ variant: 'super', numHeads: 2 })).toThrow(
      /Super attention needs maxLength/,
    );
  });

  it.each([
    'optimised',
    'efficient',
    'super',
  ] as const)('rejects %s cross-attention over a context of another width', async (variant) => {
    await expect(run(layer(variant, { attentionType: 'cross' }), [x(2), x(3, 12)])).rejects.toThrow(
      /its width \(12\) must equal the query width \(8\)/,
    );
  });

  it('lets sdpa cross-attend over a context of another width', async () => {
    const out = await run(layer('sdpa', { attentionType: 'cross' }), [x(2), x(3, 12)]);
    expect([out.length, out[0].length, out[0][0].length]).toEqual([1, 2, D]);
  });

  it('rejects a mask of the wrong shape', async () => {
    await expect(
      run(layer('sdpa', { useKeyPaddingMask: true }), [x(L), [[1, 1, 1, 1, 1, 1]]]),
    ).rejects.toThrow(
      'Key padding mask has shape [1, 6] but the keys are [batch=1, length=5]: pass a [batch, keyLength] mask with 1 for real tokens and 0 for padding.',
    );
  });

  it('rejects an unknown variant', () => {
    expect(() => new MultiHeadAttention({ variant: 'linear' as never, numHeads: 2 })).toThrow(
      'Unknown attention variant "linear": use one of sdpa, optimised, efficient, super.',
    );
  });

  it('applies attention dropout only in training', async () => {
    const m = layer('sdpa', { dropout: 0.5, seed: 3 });
    const input = x(L);
    const inference = flat(await run(m, [input]));
    expect(maxAbsDiff(flat(await run(m, [input])), inference)).toBe(0);
    expect(maxAbsDiff(flat(await run(m, [input], { training: true })), inference)).toBeGreaterThan(1e-3);
  });
});
