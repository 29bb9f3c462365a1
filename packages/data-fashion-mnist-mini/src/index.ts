import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getDataset, type ImageSplit, readIdxImages } from '@attnzoo/datasets';

/** Fashion-MNIST's ten classes, in label order (the data set registry's list). */
export const FASHION_MNIST_CLASSES: readonly string[] = getDataset('fashion-mnist').classNames ?? [];

/** What data/manifest.json records about the cut (written by scripts/cut.mjs). */
export interface FashionMnistMiniManifest {
  description: string;
  command: string;
  seed: number;
  source: { dataset: string; files: Record<string, { sha256: string; rawSha256: string }>; note: string };
  splits: Record<'train' | 'test', { count: number; perClass: number; sourceIndices: number[] }>;
  files: Record<string, { bytes: number; sha256: string }>;
}

/** The four IDX files of each split, named as in the full data set. */
export const FILES = {
  train: { images: 'train-images-idx3-ubyte.gz', labels: 'train-labels-idx1-ubyte.gz' },
  test: { images: 't10k-images-idx3-ubyte.gz', labels: 't10k-labels-idx1-ubyte.gz' },
} as const;

/** The folder holding the gzipped IDX files and manifest.json (beside src/ and dist/). */
export function dataDir(): string {
  const here = typeof __filename === 'string' ? dirname(__filename) : dirname(fileURLToPath(import.meta.url));
  return join(here, '..', 'data');
}

export function readManifest(dir = dataDir()): FashionMnistMiniManifest {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
}

function readSplit(dir: string, split: 'train' | 'test'): ImageSplit {
  const { images, labels } = FILES[split];
  const s = readIdxImages(readFileSync(join(dir, images)), readFileSync(join(dir, labels)), [images, labels]);
  for (let i = 0; i < s.count; i++) {
    if (s.labels[i] >= FASHION_MNIST_CLASSES.length) {
      throw new Error(`${labels}: label ${s.labels[i]} at ${i} is not a Fashion-MNIST class (0-9)`);
    }
  }
  return { ...s, classNames: FASHION_MNIST_CLASSES };
}

/**
 * The subset's training and test images (28×28 grey, uint8) as @attnzoo/datasets image splits,
 * with the class names. The test images come from Fashion-MNIST's official test split, the
 * training images from its training split. Reads the files shipped with this package (or `dir`).
 */
export function loadFashionMnistMini(dir = dataDir()): {
  train: ImageSplit;
  test: ImageSplit;
  source: string;
} {
  return { train: readSplit(dir, 'train'), test: readSplit(dir, 'test'), source: dir };
}
