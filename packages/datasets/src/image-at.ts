import type { ImageSplit } from './types';

/**
 * The pixels of example `i` (height × width × channels uint8): a view into `images`, or, for a
 * split that reads its images lazily (`image`), the image read and decoded now.
 */
export function imageAt(split: ImageSplit, i: number): Uint8Array {
  if (split.image) return split.image(i);
  const size = split.height * split.width * split.channels;
  return split.images.subarray(i * size, (i + 1) * size);
}
