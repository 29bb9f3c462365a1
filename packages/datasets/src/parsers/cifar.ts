import { DatasetError } from '../errors';
import type { ImageSplit } from '../types';

export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

export type CifarVariant = 'cifar10' | 'cifar100';

const PIXELS = 32 * 32 * 3;

/**
 * Parses CIFAR binary records (one or more `data_batch_N.bin` / `train.bin` contents concatenated).
 * CIFAR-10 record: <1 label byte><3072 pixel bytes>; CIFAR-100: <coarse><fine><3072 pixel bytes>.
 * Pixels are stored planar (1024 R, 1024 G, 1024 B); the result is interleaved NHWC.
 */
export function parseCifarBinary(
  parts: Uint8Array | Uint8Array[],
  variant: CifarVariant,
  name = 'CIFAR batch',
): ImageSplit {
  const list = Array.isArray(parts) ? parts : [parts];
  const labelBytes = variant === 'cifar10' ? 1 : 2;
  const recLen = labelBytes + PIXELS;
  let count = 0;
  for (const p of list) {
    if (p.length === 0 || p.length % recLen !== 0) {
      throw new DatasetError(
        p.length === 0 ? 'TRUNCATED' : 'CORRUPT',
        `${name}: ${p.length} bytes is not a whole number of ${variant === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} records (${recLen} bytes each); the file is truncated or is the wrong CIFAR variant`,
      );
    }
    count += p.length / recLen;
  }
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  const coarse = variant === 'cifar100' ? new Uint8Array(count) : undefined;
  const maxLabel = variant === 'cifar10' ? 9 : 99;
  let n = 0;
  for (const p of list) {
    for (let off = 0; off < p.length; off += recLen, n++) {
      if (coarse) {
        coarse[n] = p[off];
        if (p[off] > 19)
          throw new DatasetError(
            'CORRUPT',
            `${name}: record ${n} has coarse label ${p[off]} (> 19); wrong variant or corrupt file`,
          );
      }
      const label = p[off + labelBytes - 1];
      if (label > maxLabel) {
        throw new DatasetError(
          'CORRUPT',
          `${name}: record ${n} has label ${label} (> ${maxLabel}); wrong CIFAR variant or corrupt file`,
        );
      }
      labels[n] = label;
      const src = off + labelBytes;
      const dst = n * PIXELS;
      for (let i = 0; i < 1024; i++) {
        images[dst + i * 3] = p[src + i];
        images[dst + i * 3 + 1] = p[src + 1024 + i];
        images[dst + i * 3 + 2] = p[src + 2048 + i];
      }
    }
  }
  const split: ImageSplit = { kind: 'images', images, labels, count, height: 32, width: 32, channels: 3 };
  if (coarse) split.coarseLabels = coarse;
  if (variant === 'cifar10') split.classNames = CIFAR10_CLASSES;
  return split;
}
