import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '@attnzoo/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AugmentOp,
  applyOp,
  drawTrivialAugment,
  randomErasing,
  TRIVIAL_AUGMENT_OPS,
  trivialAugment,
} from './augment';
import { ImagePreprocessor } from './preprocessor';
import { useTestBackend } from './testing/setup';

beforeAll(useTestBackend);

interface Case {
  op: AugmentOp;
  m: number;
  sign: 1 | -1;
  shape: [number, number, number];
  src: number[];
  out: number[];
}
// Written by the PyTorch twin's numpy implementation (python/tests/make_augment_fixture.py).
const fixture: { cases: Case[] } = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../../../python/tests/fixtures/augment-ops.json', import.meta.url)),
    'utf8',
  ),
);

function run(op: AugmentOp, m: number, sign: 1 | -1, src: ArrayLike<number>, [h, w, c]: number[]) {
  const dst = new Float32Array(h * w * c);
  applyOp(op, m, sign, src, dst, h, w, c);
  return Array.from(dst);
}

const seeded = mulberry32;

describe('augmentation ops', () => {
  it('give the same pixels as the PyTorch twin for every op, strength and sign', () => {
    expect(new Set(fixture.cases.map((c) => c.op))).toEqual(new Set(TRIVIAL_AUGMENT_OPS));
    for (const c of fixture.cases) {
      expect({ op: c.op, m: c.m, sign: c.sign, out: run(c.op, c.m, c.sign, c.src, c.shape) }).toEqual({
        op: c.op,
        m: c.m,
        sign: c.sign,
        out: c.out,
      });
    }
  });

  it('leave the image alone at strength 0 (geometry, enhancements) and keep 0–255 integers', () => {
    const shape = [6, 5, 3];
    const src = Array.from({ length: 90 }, (_, i) => (i * 37) % 256);
    for (const op of [
      'shearX',
      'shearY',
      'translateX',
      'translateY',
      'rotate',
      'brightness',
      'color',
      'contrast',
      'sharpness',
      'posterize',
    ] as const)
      expect(run(op, 0, 1, src, shape)).toEqual(src);
    for (const op of TRIVIAL_AUGMENT_OPS)
      for (const v of run(op, 1, -1, src, shape))
        expect(Number.isInteger(v) && v >= 0 && v <= 255).toBe(true);
  });

  it('move pixels as named: translate by whole pixels, rotate 30° keeps the centre, solarize inverts', () => {
    const [h, w] = [5, 10];
    const src = Array.from({ length: h * w }, (_, i) => i + 1);
    // 0.45 · 10 = 4.5 px → source column x − 4.5 rounds to x − 4: the picture moves right.
    const right = run('translateX', 1, 1, src, [h, w, 1]);
    expect(right.slice(0, w)).toEqual([0, 0, 0, 0, 1, 2, 3, 4, 5, 6]);
    const sq = Array.from({ length: 25 }, (_, i) => i + 1);
    expect(run('rotate', 1, 1, sq, [5, 5, 1])[12]).toBe(13);
    expect(run('solarize', 1, 1, [0, 100, 255], [1, 3, 1])).toEqual([255, 155, 0]);
    expect(run('posterize', 1, 1, [255, 17], [1, 2, 1])).toEqual([240, 16]);
  });

  it('draw op, strength and sign from the seeded source: same seed, same images', () => {
    const counts = new Map<string, number>();
    const r = seeded(1);
    for (let i = 0; i < 2800; i++) {
      const d = drawTrivialAugment(r);
      counts.set(d.op, (counts.get(d.op) ?? 0) + 1);
      expect(d.magnitude >= 0 && d.magnitude <= 1).toBe(true);
    }
    // Uniform over 14 ops: 200 each expected.
    for (const op of TRIVIAL_AUGMENT_OPS) expect(counts.get(op)).toBeGreaterThan(140);
    const src = Array.from({ length: 48 }, (_, i) => (i * 53) % 256);
    const a = new Float32Array(48);
    const b = new Float32Array(48);
    trivialAugment(src, a, 4, 4, 3, seeded(9));
    trivialAugment(src, b, 4, 4, 3, seeded(9));
    expect(a).toEqual(b);
  });

  it('random erasing zeroes one rectangle of 2–33 % of the image, never with p = 0', () => {
    const [h, w, c] = [32, 32, 3];
    const r = seeded(4);
    let erased = 0;
    for (let t = 0; t < 200; t++) {
      const img = new Float32Array(h * w * c).fill(1);
      const hit = randomErasing(img, h, w, c, 0.5, r);
      const zeros = img.filter((v) => v === 0).length / c;
      if (hit) {
        erased++;
        expect(zeros).toBeGreaterThanOrEqual(1);
        expect(zeros / (h * w)).toBeLessThan(0.4);
      } else expect(zeros).toBe(0);
    }
    expect(erased).toBeGreaterThan(70);
    expect(erased).toBeLessThan(130);
    const img = new Float32Array(12).fill(1);
    expect(randomErasing(img, 2, 2, 3, 0, r)).toBe(false);
  });

  it('are applied by the preprocessor to training batches only', () => {
    const p = new ImagePreprocessor({
      imageSize: 8,
      channels: 3,
      augment: { trivialAugment: true, randomErasing: 1 },
    });
    const split = {
      kind: 'images' as const,
      images: Uint8Array.from({ length: 4 * 8 * 8 * 3 }, (_, i) => (i * 29) % 256),
      labels: Int32Array.from([0, 1, 0, 1]),
      count: 4,
      height: 8,
      width: 8,
      channels: 3,
      numClasses: 2,
    };
    const plain = p.batch(split, [0, 1, 2, 3]);
    const again = p.batch(split, [0, 1, 2, 3]);
    expect(plain.dataSync()).toEqual(again.dataSync());
    const aug = p.batch(split, [0, 1, 2, 3], seeded(2));
    expect(aug.dataSync()).not.toEqual(plain.dataSync());
    expect(p.batch(split, [0, 1, 2, 3], seeded(2)).dataSync()).toEqual(aug.dataSync());
    for (const t of [plain, again, aug]) t.dispose();
  });
});
