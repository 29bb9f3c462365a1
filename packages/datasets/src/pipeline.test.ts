import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  batches,
  deriveSplits,
  type ImageSplit,
  mulberry32,
  seededShuffle,
  splitTrainValidation,
  type TextSplit,
} from '.';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function images(n: number): ImageSplit {
  const px = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) px.fill(i, i * 4, i * 4 + 4);
  return {
    kind: 'images',
    images: px,
    labels: Uint8Array.from({ length: n }, (_, i) => i % 3),
    count: n,
    height: 2,
    width: 2,
    channels: 1,
  };
}

describe('seeded randomness and splits', () => {
  it('mulberry32 gives the same numbers everywhere (pinned values)', () => {
    const r = mulberry32(42);
    const xs = [r(), r(), r()].map((x) => Math.floor(x * 1e9));
    expect(xs).toEqual(PINNED);
  });

  it('seededShuffle: deterministic, a permutation, seed-dependent, input untouched', () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const a = seededShuffle(items, 1);
    expect(seededShuffle(items, 1)).toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual(items);
    expect(seededShuffle(items, 2)).not.toEqual(a);
    expect(items[0]).toBe(0);
  });

  it('splitTrainValidation: disjoint, complete, sized, stable', () => {
    const { train, validation } = splitTrainValidation(1000, 0.2, 7);
    expect(validation.length).toBe(200);
    expect(train.length).toBe(800);
    const all = new Set([...train, ...validation]);
    expect(all.size).toBe(1000);
    expect(splitTrainValidation(1000, 0.2, 7).validation).toEqual(validation);
    expect(() => splitTrainValidation(10, 1, 0)).toThrow(/validation fraction must be in \[0, 1\)/);
  });

  it('deriveSplits keeps the official test split and samples validation from train', () => {
    const train = images(50);
    const test = images(5);
    const s = deriveSplits(train, test, { validationFraction: 0.2, seed: 1 });
    expect(s.test).toBe(test);
    expect(s.train.count + s.validation.count).toBe(50);
    expect(s.validation.count).toBe(10);
    // pixel value == original index: the union covers every index once
    const idx = [
      ...s.train.images.filter((_, i) => i % 4 === 0),
      ...s.validation.images.filter((_, i) => i % 4 === 0),
    ];
    expect(new Set(idx).size).toBe(50);
  });

  it('text splits share their strings (no copy of the text)', () => {
    const t: TextSplit = {
      kind: 'text',
      texts: ['a', 'b', 'c', 'd'],
      labels: Int32Array.from([0, 1, 0, 1]),
      classNames: ['n', 'p'],
    };
    const s = deriveSplits(t, undefined, { validationFraction: 0.25, testFraction: 0.25, seed: 3 });
    expect([...s.train.texts, ...s.validation.texts, ...s.test.texts].sort()).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('batches', () => {
  it('image batches: shapes, scaling, one-hot, remainder, seeded order', () => {
    const split = images(10);
    const out = [...batches(split, { batchSize: 4, numClasses: 3 })];
    expect(out.map((b) => b.xs.shape)).toEqual([
      [4, 2, 2, 1],
      [4, 2, 2, 1],
      [2, 2, 2, 1],
    ]);
    expect(out[0].ys.shape).toEqual([4, 3]);
    expect(Array.from(out[2].xs.dataSync()).map((x) => Math.round(x * 255))).toEqual([
      8, 8, 8, 8, 9, 9, 9, 9,
    ]);
    for (const b of out) tf.dispose([b.xs, b.ys]);
    expect([...batches(split, { batchSize: 4, dropRemainder: true })]).toHaveLength(2);
    const firstOf = (seed: number) => {
      const b = batches(split, { batchSize: 10, seed }).next().value!;
      const v = Array.from(b.ys.dataSync());
      tf.dispose([b.xs, b.ys]);
      return v;
    };
    expect(firstOf(5)).toEqual(firstOf(5));
  });

  it('tensors are built per batch: memory stays bounded while iterating', () => {
    const split = images(1000);
    const before = tf.memory().numTensors;
    let maxLive = 0;
    for (const b of batches(split, { batchSize: 10, seed: 1 })) {
      maxLive = Math.max(maxLive, tf.memory().numTensors - before);
      tf.dispose([b.xs, b.ys]);
    }
    expect(maxLive).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('text and pair batches use the encoder, pad and truncate', () => {
    const t: TextSplit = {
      kind: 'text',
      texts: ['ab', 'abcdef'],
      labels: Int32Array.from([1, 0]),
      classNames: ['n', 'p'],
    };
    const encode = (s: string) => Array.from(s, (c) => c.charCodeAt(0) - 96);
    const [b] = [...batches(t, { batchSize: 2, encode, maxLength: 4 })];
    expect(b.xs.arraySync()).toEqual([
      [1, 2, 0, 0],
      [1, 2, 3, 4],
    ]);
    expect(Array.from(b.ys.dataSync())).toEqual([1, 0]);
    expect(() => [...batches(t, { batchSize: 2 })]).toThrow(/needs encode/);
    const p = { kind: 'pairs' as const, source: ['a'], target: ['bb'], skipped: { empty: 0, misaligned: 0 } };
    const [pb] = [...batches(p, { batchSize: 1, encode, maxLength: 3 })];
    expect(pb.ys.arraySync()).toEqual([[2, 2, 0]]);
  });

  it('an empty split cannot be batched', () => {
    expect(() => [...batches(images(0), { batchSize: 2 })]).toThrow(/empty split/);
  });
});

// checked against an independent Python implementation of mulberry32
const PINNED = [601103751, 448290558, 852465793];
