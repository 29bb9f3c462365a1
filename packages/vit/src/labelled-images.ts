// A user's own labelled images: a folder with one sub-folder of PNG/JPEG files per class, or a
// CSV of path,label rows (paths relative to the CSV). The splits hold file paths and labels; each
// image is read, decoded, converted to the model's channels and resized when a batch needs it.
import { promises as fs, readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, join } from 'node:path';
import {
  type ImageSplit,
  labelledSplit,
  readLabelledTexts,
  splitLabelledTexts,
} from '@attnzoo/datasets/node';
import { decodeImage, ImageError, resizeBilinear, toChannels } from './image';
import { imageMismatch } from './preprocessor';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

export interface LabelledImagesOptions {
  /** Model input: side and channels every image is converted to. */
  size: number;
  channels: 1 | 3;
  /** CSV: the column of the image path and of the label (default 'path', 'label'). */
  pathColumn?: string;
  labelColumn?: string;
  /** Seed of the stratified 90 / 10 train / test split (default 42). */
  seed?: number;
  testFraction?: number;
  /** Refuse an image far from the model's size or channels (imageMismatch) instead of converting it. */
  strict?: boolean;
}

/** Whether `path` is own image data: a folder of class folders, or a .csv of path,label. */
export async function isLabelledImages(path: string): Promise<boolean> {
  const stat = await fs.stat(path).catch(() => undefined);
  if (stat?.isDirectory()) return true;
  return extname(path).toLowerCase() === '.csv';
}

async function listImages(
  path: string,
  o: LabelledImagesOptions,
): Promise<{ files: string[]; labels: string[] }> {
  const files: string[] = [];
  const labels: string[] = [];
  const stat = await fs.stat(path);
  if (stat.isDirectory()) {
    const classes = (await fs.readdir(path, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    for (const cls of classes.sort()) {
      const images = (await fs.readdir(join(path, cls))).filter((f) =>
        IMAGE_EXTENSIONS.has(extname(f).toLowerCase()),
      );
      if (images.length === 0)
        throw new ImageError(
          `${path}: the class folder "${cls}" has no PNG or JPEG images (a class with no examples); add examples or remove the folder.`,
        );
      for (const f of images.sort()) {
        files.push(join(path, cls, f));
        labels.push(cls);
      }
    }
  } else {
    const rows = await readLabelledTexts(path, {
      textColumn: o.pathColumn ?? 'path',
      labelColumn: o.labelColumn ?? 'label',
    });
    for (let i = 0; i < rows.texts.length; i++) {
      const p = rows.texts[i].trim();
      files.push(isAbsolute(p) ? p : join(dirname(path), p));
      labels.push(rows.labels[i]);
    }
  }
  if (files.length === 0)
    throw new ImageError(
      `${path}: no PNG or JPEG images found; use one sub-folder of images per class, or a CSV of path,label.`,
    );
  return { files, labels };
}

/**
 * The images of `path` at the model's size, labelled by class name (sub-folder or CSV label) and
 * split seeded and stratified (10 % of each class for test). Images smaller than the model's side
 * are counted in `upscaled`: they are enlarged, which the caller may want to say.
 *
 * Every image is read and checked once here, one at a time (so an unreadable or invalid file, or
 * one --strict refuses, fails now, not mid-training), then dropped: the splits are lazy
 * (`ImageSplit.image`), each image read and decoded again when a batch needs it, so memory holds
 * the file list and one batch of pixels, not the data set.
 */
export async function loadLabelledImages(
  path: string,
  o: LabelledImagesOptions,
): Promise<{ train: ImageSplit; test: ImageSplit; upscaled: number; source: string }> {
  const listed = await listImages(path, o);
  // In path order, so a folder and a CSV listing the same images give the same split.
  const order = listed.files.map((_, i) => i).sort((a, b) => (listed.files[a] < listed.files[b] ? -1 : 1));
  const files = order.map((i) => listed.files[i]);
  const labels = order.map((i) => listed.labels[i]);
  const { size, channels } = o;
  const unreadable = (file: string) =>
    new ImageError(
      `${path}: image ${file} (row ${files.indexOf(file) + 1}) cannot be read; fix the path or remove the row.`,
    );
  let upscaled = 0;
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await fs.readFile(file));
    } catch {
      throw unreadable(file);
    }
    const raw = decodeImage(bytes, file);
    const mismatch = o.strict ? imageMismatch(raw, size, channels) : undefined;
    if (mismatch)
      throw new ImageError(
        `${path}: image ${file} ${mismatch}; resize or convert it to ${size}×${size} ${channels === 1 ? 'grey' : 'colour'}, or drop --strict to convert it with a warning.`,
      );
    if (raw.width < size || raw.height < size) upscaled++;
  }
  /** The model-size pixels of one file, read and decoded when a batch asks for them. */
  const pixels = (file: string): Uint8Array => {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(file));
    } catch {
      throw unreadable(file);
    }
    const raw = decodeImage(bytes, file);
    const px = resizeBilinear(toChannels(raw, channels), raw.height, raw.width, channels, size, size);
    const out = new Uint8Array(size * size * channels);
    for (let j = 0; j < out.length; j++) out[j] = Math.max(0, Math.min(255, Math.round(px[j])));
    return out;
  };
  // Class names and ids as for texts: the same rules, the same split.
  const byLabel = labelledSplit(files, labels, path);
  const { train, test } = splitLabelledTexts(byLabel, o.testFraction ?? 0.1, o.seed ?? 42);
  const lazy = (s: { texts: string[]; labels: Int32Array }): ImageSplit => ({
    kind: 'images',
    images: new Uint8Array(0),
    image: (k) => pixels(s.texts[k]),
    labels: s.labels,
    count: s.texts.length,
    height: size,
    width: size,
    channels,
    classNames: byLabel.classNames,
  });
  return { train: lazy(train), test: lazy(test), upscaled, source: path };
}
