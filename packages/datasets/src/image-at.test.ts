import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { batches } from './batch';
import { imageAt } from './image-at';
import { selectExamples } from './splits';
import type { ImageSplit } from './types';

// Six 2×2 grey images, image i filled with 10·i: held in one array, and lazily (counting reads).
const held: ImageSplit = {
  kind: 'images',
  images: Uint8Array.from({ length: 24 }, (_, j) => 10 * Math.floor(j / 4)),
  labels: Int32Array.from([0, 1, 0, 1, 0, 1]),
  count: 6,
  height: 2,
  width: 2,
  channels: 1,
};
function lazySplit(): { split: ImageSplit; reads: number[] } {
  const reads: number[] = [];
  const image = (i: number) => {
    reads.push(i);
    return new Uint8Array(4).fill(10 * i);
  };
  return { split: { ...held, images: new Uint8Array(0), image }, reads };
}

describe('imageAt', () => {
  it('gives the same pixels from a held and a lazy split, reading a lazy image only when asked', () => {
    const { split, reads } = lazySplit();
    expect(reads).toEqual([]);
    for (let i = 0; i < 6; i++) expect(imageAt(split, i)).toEqual(imageAt(held, i));
    expect(reads).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('selects from a lazy split without reading, and batches read one batch at a time', async () => {
    await tf.setBackend('cpu');
    const { split, reads } = lazySplit();
    const picked = selectExamples(split, [5, 2, 3]);
    expect(reads).toEqual([]);
    expect(picked.images.length).toBe(0);
    expect(imageAt(picked, 0)).toEqual(imageAt(held, 5));
    reads.length = 0;
    const fromHeld = [...batches(held, { batchSize: 4, seed: 7 })];
    let done = 0;
    for (const b of batches(split, { batchSize: 4, seed: 7 })) {
      expect(reads.length).toBe(done + b.ys.shape[0]); // this batch's images, none of the next
      expect(await b.xs.data()).toEqual(await fromHeld[done / 4].xs.data());
      expect(await b.ys.data()).toEqual(await fromHeld[done / 4].ys.data());
      done += b.ys.shape[0];
      tf.dispose([b.xs, b.ys]);
    }
    expect(done).toBe(6);
    for (const b of fromHeld) tf.dispose([b.xs, b.ys]);
  });
});
