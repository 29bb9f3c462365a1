import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MultiHeadAttention } from './index';
import { TEST_BACKENDS, useBackend } from './testing/backends';
import { randomMatrix, referenceWeightsOf, WEIGHT_NAMES } from './testing/layer-weights';
import { type Matrix, type ReferenceWeights, referenceAttention } from './testing/reference-attention';
import { ATTENTION_VARIANTS } from './variants';

const L = 4;
const D = 6;
const EPS = 1e-6;

/** loss = Σ output ⊙ R, computed by the float64 reference. */
function referenceLoss(x: Matrix, w: ReferenceWeights, r: Matrix, causal: boolean): number {
  const out = referenceAttention(x, x, w, { numHeads: 2, causal });
  return out.reduce((s, row, i) => s + row.reduce((t, v, j) => t + v * r[i][j], 0), 0);
}

/** Central finite difference of the float64 loss with respect to entry (i, j) of `target`. */
function numericGradient(target: Matrix, i: number, j: number, loss: () => number): number {
  const keep = target[i][j];
  target[i][j] = keep + EPS;
  const up = loss();
  target[i][j] = keep - EPS;
  const down = loss();
  target[i][j] = keep;
  return (up - down) / (2 * EPS);
}

describe.each(TEST_BACKENDS)('gradients against float64 finite differences on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(
    ATTENTION_VARIANTS.flatMap((v) => [[v, false] as const, [v, true] as const]),
  )('%s (causal: %s): input and every weight', async (variant, causal) => {
    const layer = new MultiHeadAttention({
      variant,
      numHeads: 2,
      maxLength: L,
      causal,
      mixingInitializer: 'glorotUniform',
      seed: 5,
    });
    const x = randomMatrix(L, D, 17);
    const r = randomMatrix(L, D, 18);
    const xT = tf.tensor3d([x]);
    const rT = tf.tensor3d([r]);
    layer.apply(xT);
    const weights = layer.trainableWeights;
    const variables = weights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.mul(layer.apply(xT) as tf.Tensor, rT)) as tf.Scalar,
      variables,
    );
    const dx = (await tf
      .grad((input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, rT)))(xT)
      .array()) as number[][][];
    const ref = await referenceWeightsOf(layer);
    const loss = () => referenceLoss(x, ref, r, causal);

    const check = (analytic: number, numeric: number, what: string) => {
      expect(
        Math.abs(analytic - numeric),
        `${what}: analytic ${analytic} vs numeric ${numeric}`,
      ).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
    };
    for (let k = 0; k < 6; k++) {
      const i = (k * 3) % L;
      const j = (k * 5) % D;
      check(dx[0][i][j], numericGradient(x, i, j, loss), `dx[${i}][${j}]`);
    }
    const keys = Object.keys(ref) as (keyof ReferenceWeights)[];
    expect(keys.length).toBe(weights.length);
    for (const [index, w] of weights.entries()) {
      const name = w.originalName.split('/').pop()!;
      const key = keys.find((k) => WEIGHT_NAMES[k] === name)!;
      const analytic = (await grads[variables[index].name].array()) as number[] | number[][];
      const target = ref[key]!;
      const matrix = (Array.isArray(target[0]) ? target : [target]) as Matrix;
      const grad = (Array.isArray(analytic[0]) ? analytic : [analytic]) as Matrix;
      for (let k = 0; k < 4; k++) {
        const i = (k * 7) % matrix.length;
        const j = (k * 3 + 1) % matrix[0].length;
        check(grad[i][j], numericGradient(matrix, i, j, loss), `${name}[${i}][${j}]`);
      }
    }
  });
});
