import * as tf from '@tensorflow/tfjs-core';
import { model as functionalModel, input, layers } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { attentionCost, MultiHeadAttention, modelCost, TransformerEncoderBlock } from './index';
import { useBackend } from './testing/backends';
import type { AttentionVariant } from './variants';

const SHAPES = [
  { d: 8, h: 2, lmax: 5 },
  { d: 32, h: 4, lmax: 32 },
  { d: 48, h: 6, lmax: 17 },
];

function built(
  variant: AttentionVariant,
  d: number,
  h: number,
  lmax: number,
  useBias: boolean,
  mixingBias = false,
) {
  const m = new MultiHeadAttention({ variant, numHeads: h, maxLength: lmax, useBias, mixingBias });
  m.apply(tf.zeros([1, lmax, d]));
  return m;
}

describe('parameter counts of real layers', () => {
  beforeAll(() => useBackend('cpu'));

  it.each(SHAPES)('d=$d h=$h Lmax=$lmax: 4d², 3d², 2d², 2d²+Lmax² without biases', ({ d, h, lmax }) => {
    expect(built('sdpa', d, h, lmax, false).countParams()).toBe(4 * d * d);
    expect(built('optimised', d, h, lmax, false).countParams()).toBe(3 * d * d);
    expect(built('efficient', d, h, lmax, false).countParams()).toBe(2 * d * d);
    expect(built('super', d, h, lmax, false).countParams()).toBe(2 * d * d + lmax * lmax);
  });

  it.each(SHAPES)('d=$d h=$h Lmax=$lmax: plus d per dense bias, and Lmax for the optional mixing bias', ({
    d,
    h,
    lmax,
  }) => {
    expect(built('sdpa', d, h, lmax, true).countParams()).toBe(4 * d * d + 4 * d);
    expect(built('optimised', d, h, lmax, true).countParams()).toBe(3 * d * d + 3 * d);
    expect(built('efficient', d, h, lmax, true).countParams()).toBe(2 * d * d + 2 * d);
    expect(built('super', d, h, lmax, true).countParams()).toBe(2 * d * d + 2 * d + lmax * lmax);
    expect(built('super', d, h, lmax, true, true).countParams()).toBe(2 * d * d + 2 * d + lmax * lmax + lmax);
  });

  it('reproduces the worked example of attention.md (d=32, h=4, Lmax=32, dense biases)', () => {
    const counts = (['sdpa', 'optimised', 'efficient'] as const).map((v) =>
      built(v, 32, 4, 32, true).countParams(),
    );
    expect(counts).toEqual([4224, 3168, 2112]);
    // The doc's 3168 for Super counts a bias on Wa's product; without it Super has 3136.
    expect(built('super', 32, 4, 32, true, true).countParams()).toBe(3168);
    expect(built('super', 32, 4, 32, true, false).countParams()).toBe(3136);
  });

  it.each([
    'sdpa',
    'optimised',
    'efficient',
    'super',
  ] as const)('attentionCost agrees with the real %s layer', (variant) => {
    for (const { d, h, lmax } of SHAPES) {
      for (const useBias of [true, false]) {
        const layer = built(variant, d, h, lmax, useBias);
        expect(attentionCost(layer.costShape()).parameters).toBe(layer.countParams());
      }
    }
  });
});

describe('multiply-adds', () => {
  it('follow the per-variant formulas', () => {
    const d = 64;
    const L = 32;
    const cost = (variant: AttentionVariant) =>
      attentionCost({ variant, width: d, queryLength: L }).multiplyAdds;
    expect(cost('sdpa').projections).toBe(4 * L * d * d);
    expect(cost('optimised').projections).toBe(3 * L * d * d);
    expect(cost('efficient').projections).toBe(2 * L * d * d);
    expect(cost('super').projections + cost('super').mixing).toBe(2 * L * d * d + L * L * d);
    expect(cost('sdpa').total).toBe(4 * L * d * d + 2 * L * L * d);
  });

  it('Super is cheaper than SDPA only while L < 2d', () => {
    const d = 32;
    const at = (L: number) => ({
      sdpa: attentionCost({ variant: 'sdpa', width: d, queryLength: L }).multiplyAdds.total,
      sup: attentionCost({ variant: 'super', width: d, queryLength: L }).multiplyAdds.total,
    });
    expect(at(2 * d - 1).sup).toBeLessThan(at(2 * d - 1).sdpa);
    expect(at(2 * d).sup).toBe(at(2 * d).sdpa);
    expect(at(2 * d + 1).sup).toBeGreaterThan(at(2 * d + 1).sdpa);
  });

  it('modelCost handles layers shared by several models (several inbound nodes)', () => {
    const shared = layers.dense({ units: 4 });
    const a = input({ shape: [3, 8] });
    const b = input({ shape: [5, 8] });
    shared.apply(b); // a second call, as incremental decoders do
    const m = functionalModel({ inputs: a, outputs: shared.apply(a) as never });
    expect(modelCost(m).multiplyAdds.dense).toBe(3 * 8 * 4);
  });

  it('modelCost splits a model into attention and total parameters', () => {
    const x = input({ shape: [10, 16] });
    const block = new TransformerEncoderBlock({
      variant: 'optimised',
      width: 16,
      numHeads: 2,
      feedForwardWidth: 32,
      name: 'b0',
    });
    const y = layers
      .dense({ units: 3 })
      .apply(layers.globalAveragePooling1d().apply(block.apply(x))) as never;
    const m = functionalModel({ inputs: x, outputs: y });
    const cost = modelCost(m);
    expect(cost.attentionParameters).toBe(3 * 16 * 16 + 3 * 16);
    expect(cost.totalParameters).toBe(m.countParams());
    expect(cost.attentionLayers).toHaveLength(1);
    expect(cost.attentionLayers[0].cost.multiplyAdds.projections).toBe(3 * 10 * 16 * 16);
    // Feed-forward: 10 tokens × (16×32 + 32×16); head: 1 × 16 × 3.
    expect(cost.multiplyAdds.dense).toBe(10 * (16 * 32 + 32 * 16) + 16 * 3);
    expect(cost.multiplyAdds.attention).toBe(
      attentionCost({ variant: 'optimised', width: 16, queryLength: 10 }).multiplyAdds.total,
    );
    expect(cost.multiplyAdds.total).toBe(cost.multiplyAdds.attention + cost.multiplyAdds.dense);
  });
});
