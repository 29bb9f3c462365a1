import { promises as fs, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batches, type ImageSplit, imageAt, selectExamples } from '@attnzoo/datasets';
import { labelledSplit, splitLabelledTexts } from '@attnzoo/datasets/node';
import type { BatchLogs } from '@attnzoo/train';
import { encode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeImage, ImageError, resizeBilinear, toChannels } from './image';
import { isLabelledImages, loadLabelledImages } from './labelled-images';
import { ImageClassifier } from './node';
import { tinyBackbone, useTestBackend } from './testing/setup';

// Every decode is counted, to show when images are read.
vi.mock('./image', async (importOriginal) => {
  const m = await importOriginal<typeof import('./image')>();
  return { ...m, decodeImage: vi.fn(m.decodeImage) };
});
const decodes = vi.mocked(decodeImage);

let dir: string;
beforeAll(async () => {
  await useTestBackend();
  dir = await fs.mkdtemp(join(tmpdir(), 'attnzoo-own-images-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const png = (w: number, h: number, v: number) =>
  encode({ width: w, height: h, data: new Uint8Array(w * h * 3).fill(v), channels: 3, depth: 8 });

/** Two class folders (dark, light) of `n` PNGs each, with a little texture so images differ. */
async function classFolders(name: string, n: number, side = 6): Promise<string> {
  const root = join(dir, name);
  for (const [cls, v] of [
    ['dark', 30],
    ['light', 220],
  ] as const) {
    await fs.mkdir(join(root, cls), { recursive: true });
    for (let k = 0; k < n; k++) {
      const data = new Uint8Array(side * side * 3).fill(v);
      for (let j = 0; j < data.length; j += 7) data[j] = (v + 13 * k + j) % 256;
      await fs.writeFile(
        join(root, cls, `${k}.png`),
        encode({ width: side, height: side, data, channels: 3, depth: 8 }),
      );
    }
  }
  return root;
}

/**
 * The splits as they were read before images were lazy: every file decoded up front into one
 * array, in the same seeded, stratified split of the sorted paths.
 */
async function heldInMemory(root: string, size: number): Promise<{ train: ImageSplit; test: ImageSplit }> {
  const files: string[] = [];
  const labels: string[] = [];
  for (const cls of (await fs.readdir(root)).sort())
    for (const f of (await fs.readdir(join(root, cls))).sort()) {
      files.push(join(root, cls, f));
      labels.push(cls);
    }
  const all = labelledSplit(files, labels, root);
  const { train, test } = splitLabelledTexts(all, 0.1, 42);
  const held = (s: { texts: string[]; labels: Int32Array }): ImageSplit => {
    const images = new Uint8Array(s.texts.length * size * size);
    s.texts.forEach((file, i) => {
      const raw = decodeImage(new Uint8Array(readFileSync(file)), file);
      const px = resizeBilinear(toChannels(raw, 1), raw.height, raw.width, 1, size, size);
      for (let j = 0; j < size * size; j++)
        images[i * size * size + j] = Math.max(0, Math.min(255, Math.round(px[j])));
    });
    const [height, width, channels] = [size, size, 1];
    return { kind: 'images', images, labels: s.labels, count: s.texts.length, height, width, channels };
  };
  return { train: held(train), test: held(test) };
}

describe("a user's own images", () => {
  it('resizes every image to the model, converts channels, labels by folder and splits every class', async () => {
    const root = join(dir, 'classes');
    for (const [cls, v] of [
      ['dark', 10],
      ['light', 240],
    ] as const) {
      await fs.mkdir(join(root, cls), { recursive: true });
      for (let k = 0; k < 10; k++) await fs.writeFile(join(root, cls, `${k}.png`), png(4 + k, 6, v));
      await fs.writeFile(join(root, cls, 'notes.txt'), 'not an image');
    }
    expect(await isLabelledImages(root)).toBe(true);
    const d = await loadLabelledImages(root, { size: 8, channels: 1 });
    expect([d.train.count, d.test.count]).toEqual([18, 2]);
    expect(d.train.classNames).toEqual(['dark', 'light']);
    expect([d.train.height, d.train.width, d.train.channels]).toEqual([8, 8, 1]);
    expect(d.upscaled).toBe(20);
    // Flat images stay flat through the resize; each label matches its pixel value.
    for (let i = 0; i < d.train.count; i++)
      expect(imageAt(d.train, i)[0]).toBe(d.train.labels[i] === 0 ? 10 : 240);
  });

  it('reads each image once to check it, then holds none: a batch decodes its own images only', async () => {
    const root = await classFolders('lazy', 10);
    decodes.mockClear();
    const d = await loadLabelledImages(root, { size: 8, channels: 1 });
    expect(decodes).toHaveBeenCalledTimes(20); // the check, one image at a time
    expect([d.train.images.length, d.test.images.length]).toEqual([0, 0]);
    decodes.mockClear();
    const picked = selectExamples(d.train, [17, 3, 9]);
    expect(decodes).not.toHaveBeenCalled();
    let seen = 0;
    for (const b of batches(d.train, { batchSize: 4, seed: 1 })) {
      seen += b.ys.shape[0];
      // Only the batch just built has been decoded, never the images of the next one.
      expect(decodes).toHaveBeenCalledTimes(seen);
      b.xs.dispose();
      b.ys.dispose();
    }
    expect(seen).toBe(18);
    // A selection reads the file of the example it picked, when asked.
    decodes.mockClear();
    imageAt(picked, 1);
    imageAt(d.train, 3);
    expect(decodes).toHaveBeenCalledTimes(2);
    expect(decodes.mock.calls[0][1]).toBe(decodes.mock.calls[1][1]);
  });

  it('trains and evaluates exactly as the same images held in memory (the same split, order and pixels)', async () => {
    const root = await classFolders('same', 12, 28);
    const d = await loadLabelledImages(root, { size: 28, channels: 1 });
    const run = async (train: ImageSplit, test: ImageSplit) => {
      const clf = ImageClassifier.create({
        backbone: tinyBackbone('super'),
        preprocessor: { imageSize: 28, channels: 1 },
        numClasses: 2,
        classNames: ['dark', 'light'],
      });
      const losses: number[] = [];
      await clf.fit({
        train,
        epochs: 2,
        batchSize: 8,
        lr: 3e-3,
        seed: 5,
        callbacks: [{ onBatchEnd: (l: BatchLogs) => void losses.push(l.loss) }],
      });
      const e = await clf.evaluate(test);
      clf.dispose();
      return { losses, e };
    };
    const lazy = await run(d.train, d.test);
    const before = await heldInMemory(root, 28);
    const held = await run(before.train, before.test);
    expect(lazy.losses.length).toBe(6);
    expect(lazy).toEqual(held);
  });

  it('says which file is missing or empty, and what to do', async () => {
    const csv = join(dir, 'list.csv');
    await fs.writeFile(csv, 'path,label\nnowhere.png,a\n');
    await expect(loadLabelledImages(csv, { size: 8, channels: 1 })).rejects.toThrow(
      /nowhere\.png \(row 1\) cannot be read; fix the path or remove the row/,
    );
    const empty = join(dir, 'empty');
    await fs.mkdir(join(empty, 'x'), { recursive: true });
    const e = await loadLabelledImages(empty, { size: 8, channels: 1 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ImageError);
    expect((e as Error).message).toMatch(
      /class folder "x" has no PNG or JPEG images \(a class with no examples\)/,
    );
    const none = join(dir, 'none');
    await fs.mkdir(none);
    await expect(loadLabelledImages(none, { size: 8, channels: 1 })).rejects.toThrow(
      /no PNG or JPEG images found/,
    );
  });
});
