import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { dataDir, FASHION_MNIST_CLASSES, FILES, loadFashionMnistMini, readManifest } from './index';

const DEBIAN = '/usr/share/datasets/fashion-mnist';
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function perClass(labels: ArrayLike<number>): number[] {
  const counts = new Array(10).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]] += 1;
  return counts;
}

describe('@attnzoo/data-fashion-mnist-mini', () => {
  const data = loadFashionMnistMini();
  const manifest = readManifest();

  it('loads the committed subset: 600 training and 1,000 test images, 28×28 grey, the ten classes', () => {
    for (const [split, n] of [
      [data.train, 600],
      [data.test, 1000],
    ] as const) {
      expect(split.kind).toBe('images');
      expect([split.count, split.height, split.width, split.channels]).toEqual([n, 28, 28, 1]);
      expect(split.images.length).toBe(n * 784);
      expect(split.labels.length).toBe(n);
      expect(split.classNames).toEqual(FASHION_MNIST_CLASSES);
    }
    expect(perClass(data.train.labels)).toEqual(new Array(10).fill(60));
    expect(perClass(data.test.labels)).toEqual(new Array(10).fill(100));
  });

  it('holds real clothing images, not blank or constant ones', () => {
    const { images, count } = data.test;
    let sum = 0;
    let blank = 0;
    for (let i = 0; i < count; i++) {
      const img = images.subarray(i * 784, (i + 1) * 784);
      let s = 0;
      for (const v of img) s += v;
      if (s === 0) blank += 1;
      sum += s;
    }
    expect(blank).toBe(0);
    // Fashion-MNIST's mean pixel is 72.9 / 255 on the full test split.
    expect(sum / images.length).toBeGreaterThan(55);
    expect(sum / images.length).toBeLessThan(90);
  });

  it('matches its manifest: file checksums, counts and the picked source indices', () => {
    for (const [name, f] of Object.entries(manifest.files)) {
      const bytes = readFileSync(join(dataDir(), name));
      expect(bytes.length, name).toBe(f.bytes);
      expect(sha256(bytes), name).toBe(f.sha256);
    }
    for (const [split, limit] of [
      ['train', 60_000],
      ['test', 10_000],
    ] as const) {
      const { count, sourceIndices } = manifest.splits[split];
      expect(sourceIndices).toHaveLength(count);
      expect(new Set(sourceIndices).size).toBe(count);
      expect([...sourceIndices].sort((a, b) => a - b)).toEqual(sourceIndices);
      expect(Math.max(...sourceIndices)).toBeLessThan(limit);
    }
    expect(data.train.count).toBe(manifest.splits.train.count);
    expect(data.test.count).toBe(manifest.splits.test.count);
  });

  it('is the images and labels of the full data set at the recorded indices', () => {
    expect(existsSync(DEBIAN), `${DEBIAN} is missing: apt-get install dataset-fashion-mnist`).toBe(true);
    for (const split of ['train', 'test'] as const) {
      const prefix = split === 'train' ? 'train' : 't10k';
      const images = gunzipSync(readFileSync(join(DEBIAN, `${prefix}-images-idx3-ubyte.gz`))).subarray(16);
      const labels = gunzipSync(readFileSync(join(DEBIAN, `${prefix}-labels-idx1-ubyte.gz`))).subarray(8);
      const mine = data[split];
      manifest.splits[split].sourceIndices.forEach((k, i) => {
        expect(mine.labels[i]).toBe(labels[k]);
        expect(sha256(mine.images.subarray(i * 784, (i + 1) * 784))).toBe(
          sha256(images.subarray(k * 784, (k + 1) * 784)),
        );
      });
    }
  });

  it('is what scripts/cut.mjs makes from the full data set, byte for byte', () => {
    expect(existsSync(DEBIAN), `${DEBIAN} is missing: apt-get install dataset-fashion-mnist`).toBe(true);
    const out = mkdtempSync(join(tmpdir(), 'fashion-mini-'));
    try {
      execFileSync(process.execPath, [join(dataDir(), '..', 'scripts', 'cut.mjs'), '--out', out], {
        stdio: 'pipe',
      });
      for (const split of Object.values(FILES))
        for (const name of Object.values(split))
          expect(sha256(readFileSync(join(out, name))), name).toBe(
            sha256(readFileSync(join(dataDir(), name))),
          );
      expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(
        readFileSync(join(dataDir(), 'manifest.json'), 'utf8'),
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('says which file is wrong when a label is out of range', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fashion-mini-bad-'));
    try {
      for (const split of Object.values(FILES))
        for (const name of Object.values(split)) copyFileSync(join(dataDir(), name), join(dir, name));
      const raw = gunzipSync(readFileSync(join(dir, FILES.test.labels)));
      raw[8 + 5] = 12;
      writeFileSync(join(dir, FILES.test.labels), gzipSync(raw));
      expect(() => loadFashionMnistMini(dir)).toThrow(/t10k-labels-idx1-ubyte\.gz: label 12 at 5/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
