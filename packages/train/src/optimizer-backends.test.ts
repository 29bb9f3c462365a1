import '@tensorflow/tfjs-backend-wasm';
import { selectBackend } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { AdamW } from './index';

/**
 * The flat update concatenates every weight into one vector and splits it back: WebGPU's concat
 * kernel takes a bounded number of inputs per dispatch, so this runs 20 weights of mixed shapes
 * on each backend (WebGPU on Mesa's software adapter) against a float64 reference in JavaScript.
 */
const SHAPES = Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? [i + 1] : [2, i + 1]));

function reference(steps: number, lr: number, wd: number, clipNorm: number): number[][] {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const p = SHAPES.map((s, i) =>
    Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_, k) => Math.sin(i + k)),
  );
  const m = p.map((x) => x.map(() => 0));
  const v = p.map((x) => x.map(() => 0));
  for (let t = 1; t <= steps; t++) {
    const g = p.map((x) => x.map((w) => 3 * w - 1));
    const norm = Math.sqrt(g.flat().reduce((a, x) => a + x * x, 0));
    const scale = clipNorm / Math.max(norm, clipNorm);
    p.forEach((x, i) => {
      x.forEach((w, k) => {
        const gk = g[i][k] * scale;
        m[i][k] = b1 * m[i][k] + (1 - b1) * gk;
        v[i][k] = b2 * v[i][k] + (1 - b2) * gk * gk;
        const decayed = SHAPES[i].length >= 2 ? w * (1 - lr * wd) : w;
        const denom = Math.sqrt(v[i][k]) / Math.sqrt(1 - b2 ** t) + eps;
        x[k] = decayed - (lr / (1 - b1 ** t)) * (m[i][k] / denom);
      });
    });
  }
  return p;
}

describe.each(['cpu', 'wasm', 'webgpu'])('AdamW on %s', (backend) => {
  it('matches a float64 reference over 5 clipped, decayed steps of 20 weights', async () => {
    await selectBackend(tf, { backend, webgpu: { adapter: 'software' }, log: () => {} });
    expect(tf.getBackend()).toBe(backend);
    const vars = SHAPES.map((s, i) =>
      tf.variable(
        tf.tensor(
          Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_, k) => Math.sin(i + k)),
          s,
        ),
      ),
    );
    const opt = new AdamW(vars, { weightDecay: 0.1 });
    for (let t = 0; t < 5; t++) {
      const g = vars.map((v) => tf.tidy(() => tf.sub(tf.mul(v, 3), 1)));
      opt.apply(g, 0.05, { clipNorm: 2 });
      tf.dispose(g);
    }
    const want = reference(5, 0.05, 0.1, 2);
    let worst = 0;
    for (let i = 0; i < vars.length; i++) {
      const got = await vars[i].data();
      got.forEach((x, k) => {
        worst = Math.max(worst, Math.abs(x - want[i][k]));
      });
    }
    expect(worst).toBeLessThan(1e-5);
    // the reference moved the weights by much more than the tolerance
    expect(Math.abs(want[0][0] - Math.sin(0))).toBeGreaterThan(0.1);
    opt.dispose();
    tf.dispose(vars);
  });
});
