import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from './index';
import { useCpu } from './testing/helpers';

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

describe('AdamW clipping', () => {
  it('scales all gradients by one factor when their global norm exceeds clipNorm', () => {
    // grads (3, 4) have norm 5; clipped to 1 they become (0.6, 0.8): Adam's first step moves each
    // weight by lr * sign(g) either way, so compare the first moments through a second optimizer
    const mk = () => [tf.variable(tf.tensor1d([0])), tf.variable(tf.tensor2d([[0]]))];
    const a = mk();
    const b = mk();
    const clipped = new AdamW(a, { beta1: 0, beta2: 0.5 });
    const manual = new AdamW(b, { beta1: 0, beta2: 0.5 });
    const g = [tf.tensor1d([3]), tf.tensor2d([[4]])];
    const scaled = [tf.tensor1d([0.6]), tf.tensor2d([[0.8]])];
    clipped.apply(g, 0.1, { clipNorm: 1 });
    manual.apply(scaled, 0.1);
    for (let i = 0; i < 2; i++) {
      expect(a[i].dataSync()[0]).toBeCloseTo(b[i].dataSync()[0], 6);
      expect(a[i].dataSync()[0]).toBeCloseTo(-0.1, 4); // it moved
    }
    // and a norm under the limit is left alone
    const c = mk();
    const loose = new AdamW(c, { beta1: 0, beta2: 0.5 });
    loose.apply(g, 0.1, { clipNorm: 10 });
    const d = mk();
    const plain = new AdamW(d, { beta1: 0, beta2: 0.5 });
    plain.apply(g, 0.1);
    expect(Array.from(c[1].dataSync())).toEqual(Array.from(d[1].dataSync()));
    expect(() => plain.apply(g, 0.1, { clipNorm: 0 })).toThrow(/clipNorm must be > 0/);
    tf.dispose([...a, ...b, ...c, ...d, ...g, ...scaled]);
    for (const o of [clipped, manual, loose, plain]) o.dispose();
  });

  it('an update is a fixed number of kernels plus one per weight, not a dozen per weight', () => {
    const vars = Array.from({ length: 40 }, (_, i) => tf.variable(tf.fill([3, 2], i / 10)));
    const opt = new AdamW(vars, { weightDecay: 0.1 });
    const g = vars.map((v) => tf.onesLike(v));
    opt.apply(g, 0.01); // warm
    const before = tf.memory().numTensors;
    let kernels = 0;
    return tf
      .profile(() => opt.apply(g, 0.01, { clipNorm: 1 }))
      .then((info) => {
        // Reshape only relabels a tensor (no dispatch on WebGPU); everything else is a kernel launch
        // (a per-tensor update launches about a dozen kernels per weight: 480 here)
        kernels = info.kernels.filter((k) => k.name !== 'Reshape').length;
        expect(kernels).toBeLessThan(40 + 30);
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose([...vars, ...g]);
        opt.dispose();
      });
  });
});
