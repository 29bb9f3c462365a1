import type { ImageSplit } from '@attnzoo/datasets';
import { selectBackend } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';
import type { ViTBackboneConfig } from '../config';

/** The package's tests run on wasm (the fastest CPU backend here); ATTNZOO_TEST_BACKEND overrides it. */
export async function useTestBackend(): Promise<void> {
  await selectBackend(tf, { backend: process.env.ATTNZOO_TEST_BACKEND ?? 'wasm', log: () => {} });
}

/** A tiny MNIST-shaped backbone: 4×4 = 16 patches of 7×7, one block of width 16. */
export function tinyBackbone(variant: ViTBackboneConfig['variant'] = 'super'): ViTBackboneConfig {
  return {
    imageSize: 28,
    channels: 1,
    patchSize: 7,
    width: 16,
    depth: 1,
    numHeads: 2,
    feedForwardWidth: 32,
    variant,
    pooling: 'class',
    seed: 3,
  };
}

/** The first n images of a split (a fixed slice for comparing two runs, not for measuring a model). */
export function head(split: ImageSplit, n: number): ImageSplit {
  const size = split.height * split.width * split.channels;
  return {
    ...split,
    count: n,
    images: split.images.subarray(0, n * size),
    labels: split.labels.subarray(0, n),
  };
}
