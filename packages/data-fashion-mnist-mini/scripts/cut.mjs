#!/usr/bin/env node
// Cuts the committed Fashion-MNIST subset from the full data set:
//   node packages/data-fashion-mnist-mini/scripts/cut.mjs [--source DIR] [--out DIR]
//        [--train-per-class N] [--test-per-class N] [--seed S]
// Source: the four gzipped IDX files of Debian's dataset-fashion-mnist
// (apt-get install dataset-fashion-mnist → /usr/share/datasets/fashion-mnist), or the originals.
// For each class, a seeded shuffle (mulberry32 Fisher-Yates) of that class's images in the
// official split picks the first N; the picked images keep the data set's order. Writes the four
// IDX files (gzip level 9) and manifest.json (source checksums, counts, the picked indices).
// The same source and arguments give the same bytes.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { seededPermutation } from '@attnzoo/datasets';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    source: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
    out: { type: 'string', default: join(here, '..', 'data') },
    'train-per-class': { type: 'string', default: '60' },
    'test-per-class': { type: 'string', default: '100' },
    seed: { type: 'string', default: '2017' },
  },
});
const seed = Number(values.seed);
const perClass = { train: Number(values['train-per-class']), test: Number(values['test-per-class']) };
const source = resolve(values.source);
const out = resolve(values.out);

/** Source file names: the official split's prefix (train / t10k). */
const FILES = { train: 'train', test: 't10k' };

// The data sets package's seeded Fisher-Yates (mulberry32), so the cut shuffles as the loaders do.
const shuffled = (items, s) => Array.from(seededPermutation(items.length, s), (i) => items[i]);

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

function readIdx(path, ndim) {
  const gz = readFileSync(path);
  const raw = gunzipSync(gz);
  if (raw[0] !== 0 || raw[1] !== 0 || raw[2] !== 8 || raw[3] !== ndim)
    throw new Error(`${path}: not a ${ndim}-d uint8 IDX file`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  const header = 4 + 4 * ndim;
  if (raw.length !== header + shape.reduce((a, b) => a * b, 1)) throw new Error(`${path}: wrong length`);
  return { shape, data: raw.subarray(header), gzSha256: sha256(gz), rawSha256: sha256(raw) };
}

function idxBytes(data, shape) {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = 8;
  header[3] = shape.length;
  for (const [i, d] of shape.entries()) header.writeUInt32BE(d, 4 + 4 * i);
  // mtime 0 in the gzip header (zlib's default here), so the same cut gives the same bytes
  return gzipSync(Buffer.concat([header, data]), { level: 9 });
}

mkdirSync(out, { recursive: true });
const manifest = {
  description:
    'A seeded, class-stratified subset of Fashion-MNIST (Zalando Research, MIT licence): the first N images of each class after a seeded shuffle of that class within the official split.',
  source: {
    dataset: 'https://github.com/zalandoresearch/fashion-mnist',
    files: {},
    note: 'read from Debian dataset-fashion-mnist (same IDX content as the originals, recompressed) unless --source says otherwise',
  },
  command: `node packages/data-fashion-mnist-mini/scripts/cut.mjs --train-per-class ${perClass.train} --test-per-class ${perClass.test} --seed ${seed}`,
  seed,
  splits: {},
  files: {},
};
for (const [split, prefix] of Object.entries(FILES)) {
  const images = readIdx(join(source, `${prefix}-images-idx3-ubyte.gz`), 3);
  const labels = readIdx(join(source, `${prefix}-labels-idx1-ubyte.gz`), 1);
  manifest.source.files[`${prefix}-images-idx3-ubyte.gz`] = {
    sha256: images.gzSha256,
    rawSha256: images.rawSha256,
  };
  manifest.source.files[`${prefix}-labels-idx1-ubyte.gz`] = {
    sha256: labels.gzSha256,
    rawSha256: labels.rawSha256,
  };
  const [count, rows, cols] = images.shape;
  if (labels.shape[0] !== count) throw new Error(`${split}: ${count} images but ${labels.shape[0]} labels`);
  const byClass = Array.from({ length: 10 }, () => []);
  for (let i = 0; i < count; i++) byClass[labels.data[i]].push(i);
  const picked = [];
  byClass.forEach((indices, c) => {
    if (indices.length < perClass[split])
      throw new Error(`${split}: class ${c} has only ${indices.length} images`);
    // one stream per split and class, so changing one count leaves the other split's picks alone
    picked.push(...shuffled(indices, seed + (split === 'train' ? 0 : 1000) + c).slice(0, perClass[split]));
  });
  picked.sort((a, b) => a - b);
  const size = rows * cols;
  const img = Buffer.alloc(picked.length * size);
  const lab = Buffer.alloc(picked.length);
  picked.forEach((k, i) => {
    img.set(images.data.subarray(k * size, (k + 1) * size), i * size);
    lab[i] = labels.data[k];
  });
  const written = {
    [`${prefix}-images-idx3-ubyte.gz`]: idxBytes(img, [picked.length, rows, cols]),
    [`${prefix}-labels-idx1-ubyte.gz`]: idxBytes(lab, [picked.length]),
  };
  for (const [name, bytes] of Object.entries(written)) {
    writeFileSync(join(out, name), bytes);
    manifest.files[name] = { bytes: bytes.length, sha256: sha256(bytes) };
  }
  manifest.splits[split] = { count: picked.length, perClass: perClass[split], sourceIndices: picked };
  console.log(
    `${split}: ${picked.length} images (${perClass[split]} per class) of ${count}; ` +
      Object.entries(written)
        .map(([n, b]) => `${n} ${(b.length / 1024).toFixed(1)} KiB`)
        .join(', '),
  );
}
// One line per picked-index list, so that the manifest stays short and readable.
const text = JSON.stringify(manifest, null, 2).replace(
  /\[\s+(\d[\d,\s]*?)\s+\]/g,
  (_, list) => `[${list.split(/,\s*/).join(', ')}]`,
);
writeFileSync(join(out, 'manifest.json'), `${text}\n`);
