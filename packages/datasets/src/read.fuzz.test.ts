import { join } from 'node:path';
import { corpus, expectCleanFailure, fuzz } from '@attnzoo/fixtures/fuzz';
import fc from 'fast-check';
import { encode } from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { DatasetError } from './errors';
import type { ArchiveEntry } from './parsers/tar';
import { readTar } from './parsers/tar';
import { type DatasetFiles, readDataset } from './read';
import { makeTar } from './testing/helpers';

const CORPUS = join(__dirname, '../fuzz-corpus');
const text = (s: string) => new TextEncoder().encode(s);
const jpeg = new Uint8Array(
  encode({ data: new Uint8Array(32 * 32 * 4).fill(90), width: 32, height: 32 }, 50).data,
);

// Paths each reader looks for, so that generated archives reach the readers' own code.
const PATHS: Record<string, string[]> = {
  'cifar-10': ['cifar-10-batches-bin/data_batch_1.bin', 'cifar-10-batches-bin/test_batch.bin'],
  'cifar-100': ['cifar-100-binary/train.bin', 'cifar-100-binary/test.bin'],
  'cifar-10-jpeg': ['train/cat/1.jpg', 'test/dog/2.jpg', 'train/notaclass/3.jpg'],
  imdb: ['aclImdb/train/pos/1_9.txt', 'aclImdb/test/neg/2_1.txt', 'aclImdb/train/neg/x_y.txt'],
  'amazon-multidomain': ['sorted_data_acl/books/positive.review', 'sorted_data_acl/books/negative.review'],
};
const BODIES = [
  new Uint8Array(3073).fill(3),
  new Uint8Array(3074).fill(4),
  jpeg,
  text('a fine film'),
  text('<review>\n<rating>\n5.0\n</rating>\n<review_text>\ngood\n</review_text>\n</review>\n'),
  new Uint8Array(0),
];

/** Rewrites the size field of the tar header at `at` (octal or GNU base-256) and fixes its checksum: a header that lies consistently. */
function withSize(tar: Uint8Array, at: number, size: bigint): Uint8Array {
  const t = tar.slice();
  if (size < 8n ** 11n) t.set(text(`${size.toString(8).padStart(11, '0')}\0`), at + 124);
  else {
    t[at + 124] = 0x80;
    for (let i = 11, v = size; i >= 1; i--, v >>= 8n) t[at + 124 + i] = Number(v & 0xffn);
  }
  t.fill(32, at + 148, at + 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += t[at + i];
  t.set(text(`${sum.toString(8).padStart(6, '0')}\0 `), at + 148);
  return t;
}

// Archives of entries the readers know (right and wrong names, bodies of other formats), some
// headers then declaring a size the archive does not hold.
const archive = fc
  .record({
    dataset: fc.constantFrom(...Object.keys(PATHS)),
    picks: fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 4 }),
    lie: fc.option(
      fc.tuple(fc.nat(), fc.constantFrom(3073n * 1_000_000n, 8n ** 11n - 1n, 2n ** 40n, 2n ** 53n - 1n)),
    ),
  })
  .map(({ dataset, picks, lie }) => {
    const entries = picks.map(([p, b]) => ({
      path: PATHS[dataset][p % PATHS[dataset].length],
      data: BODIES[b % BODIES.length],
    }));
    let tar = makeTar(entries);
    if (lie) {
      // the offset of the chosen entry's header
      let at = 0;
      for (let i = 0; i < lie[0] % entries.length; i++)
        at += 512 + Math.ceil(entries[i].data.length / 512) * 512;
      tar = withSize(tar, at, lie[1]);
    }
    return { dataset, tar };
  });

/**
 * A DatasetFiles over one in-memory archive that records which entry a reader is on and the most
 * array-buffer memory the process held whenever the reader asked for more bytes: a reader that
 * allocates for a declared size before reading shows up there.
 */
function filesOf(tar: Uint8Array, name: string, seen: { path?: string; peak?: number }): DatasetFiles {
  const chunks = async function* () {
    for (let at = 0; at < tar.length; at += 512) {
      seen.peak = Math.max(seen.peak ?? 0, process.memoryUsage().arrayBuffers);
      yield tar.subarray(at, at + 512);
    }
  };
  return {
    open: async () => chunks(),
    entries: async () =>
      (async function* () {
        for await (const e of readTar(chunks(), name) as AsyncIterable<ArchiveEntry>) {
          seen.path = e.path;
          yield e;
        }
      })(),
  };
}

// Far below the 3 GB a lying CIFAR header used to get, far above what these small archives need.
const ALLOCATION_BOUND = 256 * 2 ** 20;

async function readChecked(dataset: string, tar: Uint8Array): Promise<void> {
  const name = `fuzz-${dataset}.tar`;
  const seen: { path?: string; peak?: number } = {};
  const before = process.memoryUsage().arrayBuffers;
  try {
    await readDataset(dataset, filesOf(tar, name, seen), { validationFraction: 0.5 });
    expect((seen.peak ?? 0) - before).toBeLessThan(ALLOCATION_BOUND);
  } catch (e) {
    expect((seen.peak ?? 0) - before, `memory held while reading ${name}`).toBeLessThan(ALLOCATION_BOUND);
    // the reader's error names the archive, the entry it was reading, or (an empty split) the data set
    const names = [
      name,
      seen.path ?? name,
      ...(e instanceof DatasetError && e.code === 'EMPTY_SPLIT' ? [dataset] : []),
    ];
    await expectCleanFailure(
      () => {
        throw e;
      },
      (x) => x instanceof DatasetError,
      names.find((n) => (e as Error).message?.includes(n)) ?? name,
    );
  }
}

describe('data set readers: generated archives end in a DatasetError naming the file', () => {
  it('readDataset over tar archives for CIFAR, CIFAR JPEG, IMDB and Blitzer', async () => {
    const r = await fuzz('read', archive, ({ dataset, tar }) => readChecked(dataset, tar), {
      numRuns: 1500,
      timeMs: 5000,
    });
    expect(r.inputs).toBeGreaterThan(100);
  });

  it('regression corpus: archives whose headers declare sizes allocated before reading', async () => {
    const inputs = corpus(CORPUS, 'read');
    expect(inputs.length).toBeGreaterThan(0);
    for (const { name, bytes } of inputs) {
      const dataset = name.split('--')[0];
      expect(Object.keys(PATHS)).toContain(dataset);
      await expect(readDataset(dataset, filesOf(bytes, `fuzz-${dataset}.tar`, {}))).rejects.toBeInstanceOf(
        DatasetError,
      );
      await readChecked(dataset, bytes);
    }
  });
});
