import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageError } from './image';
import { isLabelledImages, loadLabelledImages } from './labelled-images';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'attnzoo-own-images-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const png = (w: number, h: number, v: number) =>
  encode({ width: w, height: h, data: new Uint8Array(w * h * 3).fill(v), channels: 3, depth: 8 });

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
      expect(d.train.images[i * 64]).toBe(d.train.labels[i] === 0 ? 10 : 240);
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
