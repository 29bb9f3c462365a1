import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from '../src/index';
import { useCpu } from './helpers';

beforeAll(useCpu);

function quadraticGrads(vars: tf.Variable[]): tf.Tensor[] {
  // d/dp of sum((p - 1)^2 * k) with a different k per element
  return vars.map((v) =>
    tf.tidy(() => tf.mul(tf.sub(v, 1), tf.reshape(tf.linspace(0.5, 3, v.size), v.shape))),
  );
}

describe('AdamW', () => {
  it('with no weight decay matches tf.train.adam', () => {
    const init = [
      tf.tensor2d([
        [0.3, -0.2],
        [1.5, 0.1],
      ]),
      tf.tensor1d([0.7, -1.1]),
    ];
    const a = init.map((t) => tf.variable(t.clone()));
    const b = init.map((t) => tf.variable(t.clone()));
    const mine = new AdamW(a, { beta1: 0.9, beta2: 0.99, epsilon: 1e-7 });
    const ref = tf.train.adam(0.05, 0.9, 0.99, 1e-7);
    for (let i = 0; i < 6; i++) {
      const ga = quadraticGrads(a);
      mine.apply(ga, 0.05);
      tf.dispose(ga);
      const gb = quadraticGrads(b);
      ref.applyGradients(b.map((v, j) => ({ name: v.name, tensor: gb[j] })));
      tf.dispose(gb);
    }
    for (let j = 0; j < a.length; j++) {
      const x = a[j].dataSync();
      const y = b[j].dataSync();
      for (let k = 0; k < x.length; k++) expect(x[k]).toBeCloseTo(y[k], 5);
    }
    // the test is not vacuous: the weights moved
    expect(Math.abs(a[1].dataSync()[0] - 0.7)).toBeGreaterThan(0.1);
    mine.dispose();
    ref.dispose();
    tf.dispose([...init, ...a, ...b]);
  });

  it('decays matrices by lr * weightDecay, decoupled from the gradient, and leaves vectors alone', () => {
    const kernel = tf.variable(tf.tensor2d([[2, -4]]));
    const bias = tf.variable(tf.tensor1d([3]));
    const opt = new AdamW([kernel, bias], { weightDecay: 0.5 });
    const zeros = [tf.zerosLike(kernel), tf.zerosLike(bias)];
    opt.apply(zeros, 0.1);
    expect(Array.from(kernel.dataSync())).toEqual([2 * 0.95, -4 * 0.95].map(Math.fround));
    expect(Array.from(bias.dataSync())).toEqual([3]);
    tf.dispose([kernel, bias, ...zeros]);
    opt.dispose();
  });

  it('state round-trips exactly, so a restored optimizer continues identically', async () => {
    const mk = (): tf.Variable[] => [
      tf.variable(
        tf.tensor2d([
          [0.5, 1],
          [2, -1],
        ]),
      ),
      tf.variable(tf.tensor1d([0.1, 0.2])),
    ];
    const va = mk();
    const vb = mk();
    const a = new AdamW(va, { weightDecay: 0.01 });
    for (let i = 0; i < 3; i++) {
      const g = quadraticGrads(va);
      a.apply(g, 0.01);
      tf.dispose(g);
    }
    const b = new AdamW(vb, { weightDecay: 0.01 });
    b.setState(await a.getState());
    va.forEach((v, i) => {
      vb[i].assign(v);
    });
    for (const [opt, vars] of [
      [a, va],
      [b, vb],
    ] as const) {
      const g = quadraticGrads(vars);
      opt.apply(g, 0.01);
      tf.dispose(g);
    }
    expect(b.step).toBe(4);
    va.forEach((v, i) => {
      expect(Array.from(vb[i].dataSync())).toEqual(Array.from(v.dataSync()));
    });
    a.dispose();
    b.dispose();
    tf.dispose([...va, ...vb]);
  });
});
