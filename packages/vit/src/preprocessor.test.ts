import { type ImageSplit, mulberry32 } from '@attnzoo/datasets';
import * as tf from '@tensorflow/tfjs-core';
import { encode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, resizeBilinear, toChannels } from './image';
import { augmentInto, ImagePreprocessor, imageMismatch } from './preprocessor';
import { useTestBackend } from './testing/setup';

beforeAll(useTestBackend);

const grey = (size: number, f: (y: number, x: number) => number) =>
  Uint8Array.from({ length: size * size }, (_, i) => f(Math.floor(i / size), i % size));

describe('image conversion', () => {
  it('resizes bilinearly with half-pixel centres and leaves the same size alone', () => {
    const src = Float32Array.from([0, 100, 200, 300]); // 2×2, one channel
    expect(resizeBilinear(src, 2, 2, 1, 2, 2)).toBe(src);
    const up = resizeBilinear(src, 2, 2, 1, 4, 4);
    expect(up[0]).toBe(0); // corners clamp to the source corners
    expect(up[15]).toBe(300);
    expect(up[1]).toBeCloseTo(25); // x = 0.25 between 0 and 100
    const down = resizeBilinear(resizeBilinear(src, 2, 2, 1, 4, 4), 4, 4, 1, 1, 1);
    expect(down[0]).toBeCloseTo(150); // the centre is the mean
  });

  it('converts grey to RGB and RGB(A) to grey with ITU-R 601 luma', () => {
    const rgb = toChannels({ data: [10, 20], width: 2, height: 1, channels: 1 }, 3);
    expect([...rgb]).toEqual([10, 10, 10, 20, 20, 20]);
    const g = toChannels({ data: [255, 0, 0, 255, 0, 255, 0, 7], width: 2, height: 1, channels: 4 }, 1);
    expect(g[0]).toBeCloseTo(0.299 * 255);
    expect(g[1]).toBeCloseTo(0.587 * 255);
  });

  it('decodes PNG (grey, RGBA, 16-bit) and rejects unknown bytes', () => {
    const a = decodeImage(
      encode({ width: 3, height: 2, data: Uint8Array.from([0, 50, 100, 150, 200, 250]), channels: 1 }),
    );
    expect(a).toMatchObject({ width: 3, height: 2, channels: 1 });
    expect([...a.data]).toEqual([0, 50, 100, 150, 200, 250]);
    const wide = decodeImage(
      encode({
        width: 1,
        height: 1,
        data: Uint16Array.from([65535, 0, 32768, 65535]),
        channels: 4,
        depth: 16,
      }),
    );
    expect([...wide.data]).toEqual([255, 0, 128, 255]);
    expect(() => decodeImage(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toThrow(
      /neither a PNG nor a JPEG/,
    );
    // A PNG cut after its 8-byte signature is a truncated PNG, not an unknown format.
    const cut = encode({ width: 2, height: 2, data: new Uint8Array(4), channels: 1 }).subarray(0, 8);
    expect(() => decodeImage(cut, 'cut.png')).toThrow(
      /cut\.png is not a valid PNG file .*damaged or truncated/,
    );
  });
});

describe('ImagePreprocessor', () => {
  const pre = new ImagePreprocessor({ imageSize: 4, channels: 1, mean: [0.5], std: [0.25] });

  it('rescales and normalises: (x/255 - mean) / std', () => {
    const px = pre.pixels({ data: new Uint8Array(16).fill(255), width: 4, height: 4, channels: 1 });
    expect(px[0]).toBeCloseTo(2);
    const px0 = pre.pixels({ data: new Uint8Array(16), width: 4, height: 4, channels: 1 });
    expect(px0[0]).toBeCloseTo(-2);
  });

  it('resizes and converts raw images, PNG bytes and tensors to one batch', async () => {
    const rgb = { data: new Uint8Array(8 * 8 * 3).fill(255), width: 8, height: 8, channels: 3 };
    const png = encode({ width: 2, height: 2, data: new Uint8Array(4), channels: 1 });
    const t = tf.fill([4, 4, 1], 255);
    const batch = await pre.preprocess([rgb, png, t as tf.Tensor3D]);
    expect(batch.shape).toEqual([3, 4, 4, 1]);
    const v = await batch.data();
    expect(v[0]).toBeCloseTo(2, 4);
    expect(v[16]).toBeCloseTo(-2, 4);
    expect(v[32]).toBeCloseTo(2, 4);
    tf.dispose([batch, t]);
  });

  it('gives clear errors for a wrong tensor size or channel count and for inconsistent raw images', async () => {
    const wrongSize = tf.zeros([1, 5, 5, 1]);
    await expect(pre.preprocess(wrongSize as tf.Tensor4D)).rejects.toThrow(
      /\[1,5,5,1\] does not fit this model, which takes \[4, 4, 1\]/,
    );
    const wrongChannels = tf.zeros([4, 4, 3]);
    await expect(pre.preprocess(wrongChannels as tf.Tensor3D)).rejects.toThrow(/does not fit this model/);
    tf.dispose([wrongSize, wrongChannels]);
    await expect(
      pre.preprocess({ data: new Uint8Array(10), width: 4, height: 4, channels: 1 }),
    ).rejects.toThrow(/10 values do not make a 4×4 image with 1 channel/);
    await expect(
      pre.preprocess({ data: new Uint8Array(80), width: 4, height: 4, channels: 5 }),
    ).rejects.toThrow(/has 5 channels/);
    const split: ImageSplit = {
      kind: 'images',
      images: new Uint8Array(27),
      labels: new Uint8Array(1),
      count: 1,
      height: 3,
      width: 3,
      channels: 3,
    };
    expect(() => pre.checkSplit(split, 'CIFAR')).toThrow(/CIFAR has 3×3×3 images but the model takes 4×4×1/);
    expect(pre.convertSplit(split)).toMatchObject({ height: 4, width: 4, channels: 1, count: 1 });
    // A lazy split stays lazy: each image is converted when read, to the same pixels.
    const colour = { ...split, images: Uint8Array.from({ length: 27 }, (_, j) => (j * 37) % 256) };
    let reads = 0;
    const lazy = pre.convertSplit({
      ...colour,
      images: new Uint8Array(0),
      image: () => {
        reads++;
        return colour.images;
      },
    });
    expect(reads).toBe(0);
    expect(lazy.images.length).toBe(0);
    expect(lazy.image?.(0)).toEqual(pre.convertSplit(colour).images);
    expect(reads).toBe(1);
  });

  it('random crop with zero padding and horizontal flip, the same for the same seed', async () => {
    const src = grey(4, (y, x) => 10 * y + x + 1);
    const dst = new Float32Array(16);
    augmentInto(src, dst, 4, 4, 1, 1, -1, false); // dst(y, x) = src(y + 1, x - 1)
    expect([...dst.subarray(0, 4)]).toEqual([0, 11, 12, 13]);
    expect([...dst.subarray(12)]).toEqual([0, 0, 0, 0]);
    augmentInto(src, dst, 4, 4, 1, 0, 0, true);
    expect([...dst.subarray(0, 4)]).toEqual([4, 3, 2, 1]);

    const aug = new ImagePreprocessor({
      imageSize: 4,
      channels: 1,
      mean: [0],
      std: [1],
      rescale: 1,
      augment: { cropPadding: 2, horizontalFlip: true },
    });
    const split: ImageSplit = {
      kind: 'images',
      images: new Uint8Array([...src, ...src, ...src, ...src, ...src, ...src, ...src, ...src]),
      labels: new Uint8Array(8),
      count: 8,
      height: 4,
      width: 4,
      channels: 1,
    };
    const idx = [0, 1, 2, 3, 4, 5, 6, 7];
    const a = aug.batch(split, idx, mulberry32(5));
    const b = aug.batch(split, idx, mulberry32(5));
    const plain = aug.batch(split, idx);
    const [va, vb, vp] = await Promise.all([a.data(), b.data(), plain.data()]);
    expect([...va]).toEqual([...vb]);
    expect([...vp.subarray(0, 16)]).toEqual([...src]); // no augmentation without a random source
    expect([...va]).not.toEqual([...vp]); // 8 images: some crop or flip happened
    tf.dispose([a, b, plain]);
  });
});

describe('imageMismatch', () => {
  it('names an image far smaller, far from square, or of the other colour kind; passes a near one', () => {
    expect(imageMismatch({ width: 20, height: 20, channels: 1 }, 28, 1)).toBeUndefined();
    // An alpha channel does not count: grey+alpha is grey, RGBA is colour.
    expect(imageMismatch({ width: 32, height: 32, channels: 2 }, 28, 1)).toBeUndefined();
    expect(imageMismatch({ width: 32, height: 32, channels: 4 }, 32, 3)).toBeUndefined();
    expect(imageMismatch({ width: 10, height: 10, channels: 1 }, 28, 1)).toBe(
      'is 10×10 with 1 channel(s) (grey), the model takes 28×28 with 1 (grey)',
    );
    expect(imageMismatch({ width: 64, height: 28, channels: 1 }, 28, 1)).toMatch(/is 64×28/);
    expect(imageMismatch({ width: 28, height: 28, channels: 3 }, 28, 1)).toMatch(
      /\(colour\), the model .* \(grey\)/,
    );
    expect(imageMismatch({ width: 32, height: 32, channels: 1 }, 32, 3)).toMatch(
      /\(grey\), the model .* \(colour\)/,
    );
  });
});
