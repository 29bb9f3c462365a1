import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCsv, readCifarBinary, readTar } from '.';
import { loadDataset } from './node';
import { makeTar, makeTarGz, tempDir } from './testing/helpers';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

/** A CIFAR record: planar R, G, B planes filled with distinct constants so interleaving is checkable. */
function cifarRecord(labels: number[], r: number, g: number, b: number): Uint8Array {
  const rec = new Uint8Array(labels.length + 3072);
  rec.set(labels);
  rec.fill(r, labels.length, labels.length + 1024);
  rec.fill(g, labels.length + 1024, labels.length + 2048);
  rec.fill(b, labels.length + 2048);
  rec[labels.length] = 200; // first red pixel differs
  return rec;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('generated canonical layouts', () => {
  it('CIFAR-100 binary archive: coarse + fine labels, planar to NHWC', async () => {
    const train = concat([
      cifarRecord([3, 42], 10, 20, 30),
      cifarRecord([19, 99], 1, 2, 3),
      cifarRecord([0, 0], 5, 6, 7),
    ]);
    const test = cifarRecord([7, 55], 40, 50, 60);
    const file = join(tmp.dir, 'cifar-100-binary.tar.gz');
    writeFileSync(
      file,
      makeTarGz([
        { path: 'cifar-100-binary/coarse_label_names.txt', data: 'aquatic_mammals\n' },
        { path: 'cifar-100-binary/train.bin', data: train },
        { path: 'cifar-100-binary/test.bin', data: test },
      ]),
    );
    const s = await loadDataset('cifar-100', { source: file, validationFraction: 0 });
    if (s.train!.kind !== 'images' || s.test!.kind !== 'images') throw new Error('expected images');
    expect(s.train!.count).toBe(3);
    expect(Array.from(s.train!.labels)).toEqual([42, 99, 0]);
    expect(Array.from(s.train!.coarseLabels!)).toEqual([3, 19, 0]);
    expect(Array.from(s.train!.images.subarray(0, 6))).toEqual([200, 20, 30, 10, 20, 30]);
    expect(Array.from(s.test!.labels)).toEqual([55]);
    expect(Array.from(s.test!.coarseLabels!)).toEqual([7]);
    // the same archive read as CIFAR-10 is rejected: record size does not divide
    await expect(loadDataset('cifar-10', { source: file })).rejects.toMatchObject({ code: 'EMPTY_SPLIT' });
  });

  it('CIFAR-10 binary batches: five train batches + test batch, wrong record size rejected', async () => {
    const entries = [1, 2, 3, 4, 5].map((i) => ({
      path: `cifar-10-batches-bin/data_batch_${i}.bin`,
      data: cifarRecord([i], i, i, i),
    }));
    entries.push({ path: 'cifar-10-batches-bin/test_batch.bin', data: cifarRecord([9], 0, 0, 0) });
    const s = await readCifarBinary(readTar([makeTar(entries)]), 'cifar10');
    expect(s.train!.count).toBe(5);
    expect(Array.from(s.train!.labels)).toEqual([1, 2, 3, 4, 5]);
    expect(s.test!.classNames![9]).toBe('truck');
    const bad = [{ path: 'cifar-10-batches-bin/data_batch_1.bin', data: new Uint8Array(3074) }];
    await expect(readCifarBinary(readTar([makeTar(bad)]), 'cifar10')).rejects.toThrow(
      /not a whole number of CIFAR-10 records/,
    );
  });

  it('Europarl es-en.tgz: line-aligned pairs, empty and misaligned lines skipped and counted', async () => {
    const en = [
      'Resumption of the session',
      '',
      'I declare resumed the session.',
      'Thank you.',
      'Extra line',
    ].join('\n');
    const es = ['Reanudación del período de sesiones', 'Algo', '', 'Gracias.'].join('\n');
    const file = join(tmp.dir, 'es-en.tgz');
    writeFileSync(
      file,
      makeTarGz([
        { path: 'europarl-v7.es-en.es', data: `${es}\n` },
        { path: 'europarl-v7.es-en.en', data: `${en}\n` },
      ]),
    );
    const s = await loadDataset('europarl-es-en', {
      source: file,
      validationFraction: 0,
      testFraction: 0,
      split: 'train',
    });
    if (s.train!.kind !== 'pairs') throw new Error('expected pairs');
    expect(s.train!.source).toEqual(['Resumption of the session', 'Thank you.']);
    expect(s.train!.target).toEqual(['Reanudación del período de sesiones', 'Gracias.']);
    expect(s.train!.skipped).toEqual({ empty: 2, misaligned: 1 });
  });

  it('Amazon polarity CSV archive: quotes, doubled quotes, escaped and real newlines', async () => {
    const train = [
      '"2","Great","Loved it, ""really"". Line one\\nline two"',
      '"1","","Broken on arrival"',
      '"1","Multi\nline title","text"',
    ].join('\n');
    const test = '"2","Fine","ok"\r\n';
    const file = join(tmp.dir, 'amazon_review_polarity_csv.tgz');
    writeFileSync(
      file,
      makeTarGz([
        { path: 'amazon_review_polarity_csv/readme.txt', data: 'x' },
        { path: 'amazon_review_polarity_csv/train.csv', data: train },
        { path: 'amazon_review_polarity_csv/test.csv', data: test },
      ]),
    );
    const s = await loadDataset('amazon-polarity', { source: file, validationFraction: 0 });
    if (s.train!.kind !== 'text' || s.test!.kind !== 'text') throw new Error('expected text');
    expect(s.train!.texts).toEqual([
      'Great: Loved it, "really". Line one\nline two',
      'Broken on arrival',
      'Multi\nline title: text',
    ]);
    expect(Array.from(s.train!.labels)).toEqual([1, 0, 0]);
    expect(s.test!.texts).toEqual(['Fine: ok']);
  });

  it('CSV parser: a record split across chunks at every position gives the same fields', async () => {
    const text = '"a ""b""",c\n"x\ny",z\n';
    const bytes = new TextEncoder().encode(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const recs: string[][] = [];
      for await (const r of parseCsv([bytes.subarray(0, cut), bytes.subarray(cut)])) recs.push(r);
      expect(recs).toEqual([
        ['a "b"', 'c'],
        ['x\ny', 'z'],
      ]);
    }
  });

  it('Anki three-column TSV (newer files): attribution kept, malformed lines counted', async () => {
    const { zipSync } = await import('fflate');
    const tsv =
      'Go.\tVe.\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM)\n\nbroken line\nHi.\tHola.\tCC-BY x\n';
    const file = join(tmp.dir, 'spa-eng.zip');
    writeFileSync(
      file,
      zipSync({ 'spa.txt': new TextEncoder().encode(tsv), '_about.txt': new TextEncoder().encode('about') }),
    );
    const s = await loadDataset('anki-spa-eng', {
      source: file,
      split: 'train',
      validationFraction: 0,
      testFraction: 0,
    });
    if (s.train!.kind !== 'pairs') throw new Error('expected pairs');
    expect(s.train!.source).toEqual(['Go.', 'Hi.']);
    expect(s.train!.attribution![0]).toMatch(/tatoeba/);
    expect(s.train!.skipped).toEqual({ empty: 1, misaligned: 1 });
  });

  it('IMDB extracted folder (no archive) reads the same layout', async () => {
    const { mkdirSync } = await import('node:fs');
    for (const [split, lab, name, text] of [
      ['train', 'pos', '1_9.txt', 'great'],
      ['train', 'neg', '2_1.txt', 'awful'],
      ['test', 'pos', '3_8.txt', 'good'],
    ]) {
      mkdirSync(join(tmp.dir, 'aclImdb', split, lab), { recursive: true });
      writeFileSync(join(tmp.dir, 'aclImdb', split, lab, name), text);
    }
    const s = await loadDataset('imdb', { source: tmp.dir, validationFraction: 0 });
    if (s.train!.kind !== 'text' || s.test!.kind !== 'text') throw new Error('expected text');
    expect(s.train!.texts).toEqual(['awful', 'great']);
    expect(Array.from(s.train!.labels)).toEqual([0, 1]);
    expect(Array.from(s.train!.ratings!)).toEqual([1, 9]);
    expect(s.test!.texts).toEqual(['good']);
  });

  it('gzipped fastText file via loadDataset', async () => {
    const file = join(tmp.dir, 'test.ft.txt.gz');
    writeFileSync(file, gzipSync(new TextEncoder().encode('__label__1 Bad: no\n__label__2 Good: yes\n')));
    const s = await loadDataset('amazon-polarity-fasttext', { source: tmp.dir, split: 'test' });
    if (s.test!.kind !== 'text') throw new Error('expected text');
    expect(Array.from(s.test!.labels)).toEqual([0, 1]);
    expect(s.test!.texts).toEqual(['Bad: no', 'Good: yes']);
  });
});
