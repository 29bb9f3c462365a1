import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs's own ops and its Dropout
import { webgpuCensus } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { model as functionalModel, input, layers, models } from '@tensorflow/tfjs-layers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Dropout } from '../dropout';
import '../register'; // replaces tfjs's Dropout in the serialization registry
import { useBackend } from '../testing/backends';
import { randomValues } from '../testing/layer-weights';
import {
  dropout,
  dropoutMultiplier,
  dropoutScale,
  dropoutThreshold,
  fusedDropoutActive,
  hashDropout,
  philox2x32,
  setFusedDropoutEnabled,
} from './dropout';

const hex = (words: number[]) => words.map((w) => w.toString(16).padStart(8, '0'));

/** Float32 values in [-1, 1) without zeros, so y / x tells the mask. */
const nonZero = (count: number, seed: number) =>
  randomValues(count, seed).map((v) => Math.fround(v === 0 ? 0.5 : v));

/** -0 (x · 0 for negative x on the host) as 0: the kernel writes +0 for dropped elements. */
const unsigned = (a: ArrayLike<number>) => Array.from(a, (v) => (v === 0 ? 0 : v));

/** Checks y = x · m elementwise exactly (float32), m in {0, scale}; returns the kept positions. */
function keptOf(x: ArrayLike<number>, y: ArrayLike<number>, scale: number): boolean[] {
  const kept: boolean[] = [];
  for (let i = 0; i < x.length; i++) {
    if (y[i] === 0) kept.push(false);
    else if (y[i] === Math.fround(x[i] * scale)) kept.push(true);
    else throw new Error(`element ${i}: ${y[i]} is neither 0 nor ${x[i]} × ${scale}`);
  }
  return kept;
}

describe('Philox-2x32-10 on the host', () => {
  it('gives Random123’s known answers', () => {
    expect(hex(philox2x32(0, 0, 0))).toEqual(['ff1dae59', '6cd10df2']);
    expect(hex(philox2x32(0xffffffff, 0xffffffff, 0xffffffff))).toEqual(['2c3f628b', 'ab4fd7ad']);
    expect(hex(philox2x32(0x243f6a88, 0x85a308d3, 0x13198a2e))).toEqual(['dd7ce038', 'f62a4c12']);
  });

  it('decides the host mask by the first word of counter (i, 0) under the seed', () => {
    const seed = 0xdeadbeef;
    const m = dropoutMultiplier(seed, 1000, 0.3);
    const kept = Array.from(m, (v) => v > 0);
    expect(kept).toEqual(kept.map((_, i) => philox2x32(i, 0, seed)[0] >= dropoutThreshold(0.3)));
    expect(new Set(m)).toEqual(new Set([0, dropoutScale(0.3)]));
  });
});

describe.each(['cpu', 'webgpu'])('hash dropout on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  afterEach(() => setFusedDropoutEnabled(true));

  it('applies the host mask of its seed exactly: the same on every backend', async () => {
    const values = nonZero(3000, 4);
    const x = tf.tensor2d(values, [30, 100]);
    const y = await hashDropout(x, 0.3, 12345).data();
    const m = dropoutMultiplier(12345, 3000, 0.3);
    expect(unsigned(y)).toEqual(unsigned(values.map((v, i) => Math.fround(v * m[i]))));
    x.dispose();
  });

  it('is the identity at rate 0, and rejects rates outside [0, 1)', async () => {
    const values = nonZero(64, 2);
    const x = tf.tensor1d(values);
    expect(Array.from(await hashDropout(x, 0, 7).data())).toEqual(Array.from(await x.data()));
    expect(Array.from(await dropout(x, 0).data())).toEqual(Array.from(await x.data()));
    expect(() => hashDropout(x, 1, 7)).toThrow(/\[0, 1\)/);
    expect(() => hashDropout(x, -0.1, 7)).toThrow(/\[0, 1\)/);
    x.dispose();
  });
});

describe('hash dropout on the software WebGPU adapter', () => {
  beforeAll(() => useBackend('webgpu'));
  afterEach(() => setFusedDropoutEnabled(true));

  it.each([
    0.1, 0.5,
  ])('rate %f: keeps 1 − rate of 2²⁰ elements (within 4 standard errors), scaled exactly', async (rate) => {
    expect(fusedDropoutActive()).toBe(true);
    const n = 1 << 20;
    const x = tf.ones([1024, 1024]);
    const y = await hashDropout(x, rate, 99).data();
    const scale = dropoutScale(rate);
    let kept = 0;
    let other = 0;
    for (let i = 0; i < n; i++) {
      if (y[i] === scale) kept++;
      else if (y[i] !== 0) other++;
    }
    expect(other).toBe(0);
    const p = 1 - rate;
    expect(Math.abs(kept / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    x.dispose();
  });

  it('keeps neighbouring elements independent (no correlation along the index)', async () => {
    const n = 1 << 18;
    const y = await hashDropout(tf.ones([n]), 0.5, 3).data();
    // Of the pairs (i, i + 1), a quarter should be both kept; standard error √(3/16 / n).
    let both = 0;
    for (let i = 0; i + 1 < n; i++) if (y[i] !== 0 && y[i + 1] !== 0) both++;
    expect(Math.abs(both / (n - 1) - 0.25)).toBeLessThan(4 * Math.sqrt(3 / 16 / n));
  });

  it('gives the same mask for a seed, different masks for different seeds', async () => {
    const x = tf.ones([4096]);
    const a = await hashDropout(x, 0.5, 1).data();
    const b = await hashDropout(x, 0.5, 1).data();
    const c = await hashDropout(x, 0.5, 2).data();
    expect(Array.from(a)).toEqual(Array.from(b));
    let differ = 0;
    for (let i = 0; i < 4096; i++) if (a[i] !== c[i]) differ++;
    // Independent masks at rate 0.5 differ in half the elements.
    expect(differ).toBeGreaterThan(1800);
    expect(differ).toBeLessThan(2300);
    x.dispose();
  });

  it('draws a fresh seed from Math.random per call: a seeded Math.random repeats the masks', async () => {
    const x = tf.ones([2048]);
    const withRandom = async (seed: number) => {
      const original = Math.random;
      let s = seed;
      Math.random = () => {
        s = (s * 16807) % 2147483647;
        return s / 2147483647;
      };
      try {
        return [await dropout(x, 0.5).data(), await dropout(x, 0.5).data()].map((a) => Array.from(a));
      } finally {
        Math.random = original;
      }
    };
    const [first, second] = await withRandom(42);
    expect(first).not.toEqual(second);
    expect(await withRandom(42)).toEqual([first, second]);
    x.dispose();
  });

  it('has the gradient dy · mask / (1 − rate) with the forward’s mask, recomputed from its seed', async () => {
    const rate = 0.4;
    const scale = dropoutScale(rate);
    const xs = nonZero(5 * 7 * 64, 8);
    const dys = nonZero(5 * 7 * 64, 9);
    const x = tf.tensor3d(xs, [5, 7, 64]);
    const dy = tf.tensor3d(dys, [5, 7, 64]);
    const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => dropout(t, rate))(x, dy);
    const forward = keptOf(xs, await value.data(), scale);
    const backward = keptOf(dys, await grad.data(), scale);
    expect(backward).toEqual(forward);
    const fraction = forward.filter(Boolean).length / forward.length;
    expect(fraction).toBeGreaterThan(0.5);
    expect(fraction).toBeLessThan(0.7);
    tf.dispose([x, dy, value, grad]);
  });

  it('dispatches one kernel forward and one backward, and uploads no mask', async () => {
    const census = async (size: number) => {
      const x = tf.ones([size]);
      const dy = tf.ones([size]);
      await tf.add(x, dy).data(); // both made on the device before counting
      const { census: c } = await webgpuCensus(tf, async () => {
        const g = tf.grad((t: tf.Tensor) => dropout(t, 0.2))(x, dy);
        await g.data();
        g.dispose();
      });
      tf.dispose([x, dy]);
      return c;
    };
    const small = await census(1 << 10);
    const large = await census(1 << 18);
    for (const c of [small, large]) {
      expect(c.otherDispatches).toBe(2);
      expect(c.dispatches).toBe(2);
    }
    expect(large.uploads).toBe(small.uploads);
    expect(large.uploadBytes).toBe(small.uploadBytes);
    // tfjs's dropout uploads a mask drawn on the host: 4 bytes per element.
    setFusedDropoutEnabled(false);
    const stock = await census(1 << 18);
    expect(stock.uploadBytes - large.uploadBytes).toBeGreaterThanOrEqual(4 << 18);
  });
});

describe('attnzoo’s Dropout layer', () => {
  beforeAll(() => useBackend('webgpu'));
  afterEach(() => setFusedDropoutEnabled(true));

  it('keeps tfjs’s class name and config, and replaces its class when a model loads', async () => {
    const ours = new Dropout({ rate: 0.25, name: 'd', seed: 5 });
    const theirs = layers.dropout({ rate: 0.25, name: 'd', seed: 5 });
    expect(ours.getClassName()).toBe('Dropout');
    expect(ours.getConfig()).toEqual(theirs.getConfig());
    const ids = input({ shape: [6] });
    const out = layers.dense({ units: 3 }).apply(theirs.apply(ids)) as never;
    const json = functionalModel({ inputs: ids, outputs: out }).toJSON(
      null,
      false,
    ) as tf.io.ModelJSON['modelTopology'];
    const loaded = await models.modelFromJSON({ modelTopology: json });
    expect(loaded.layers.filter((l) => l instanceof Dropout).map((l) => l.name)).toEqual(['d']);
    loaded.dispose();
  });

  it('is the identity outside training, a fresh hash mask per call in training', async () => {
    const layer = new Dropout({ rate: 0.5, seed: 5 });
    const xs = nonZero(4096, 6);
    const x = tf.tensor2d(xs, [64, 64]);
    expect(Array.from(await (layer.apply(x) as tf.Tensor).data())).toEqual(Array.from(await x.data()));
    expect(Array.from(await (layer.apply(x, { training: false }) as tf.Tensor).data())).toEqual(
      Array.from(await x.data()),
    );
    const a = keptOf(xs, await (layer.apply(x, { training: true }) as tf.Tensor).data(), 2);
    const b = keptOf(xs, await (layer.apply(x, { training: true }) as tf.Tensor).data(), 2);
    expect(a).not.toEqual(b);
    x.dispose();
  });

  it('switched off, is tfjs’s Dropout exactly (its seeded mask)', async () => {
    setFusedDropoutEnabled(false);
    const x = tf.tensor2d(nonZero(512, 6), [8, 64]);
    const ours = await (
      new Dropout({ rate: 0.3, seed: 11 }).apply(x, { training: true }) as tf.Tensor
    ).data();
    const theirs = await (
      layers.dropout({ rate: 0.3, seed: 11 }).apply(x, { training: true }) as tf.Tensor
    ).data();
    expect(Array.from(ours)).toEqual(Array.from(theirs));
    x.dispose();
  });
});
