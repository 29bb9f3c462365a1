import { join } from 'node:path';
import { corpus, expectCleanFailure, fuzz, hostileBytes } from '@attnzoo/fixtures/fuzz';
import { gzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../errors';
import { makeTar } from '../testing/helpers';
import { gunzipStream } from './gzip';
import type { ArchiveEntry } from './tar';
import { readTar } from './tar';
import { readZip } from './zip';

const CORPUS = join(__dirname, '../../fuzz-corpus');
const isDatasetError = (e: unknown) => e instanceof DatasetError;
const text = (s: string) => new TextEncoder().encode(s);

// Valid archives to mutate: several entries, a long name (pax), a link, an empty file, a body over one block.
const entries = [
  { path: 'train/pos/0_9.txt', data: 'a good film' },
  { path: 'train/neg/1_2.txt', data: 'x'.repeat(700) },
  { path: 'empty.txt', data: '' },
  { path: 'link', data: '', type: '2' },
  { path: 'PaxHeaders/x', data: '30 path=long/name/of/a/file.txt\n', type: 'x' },
  { path: 'ignored', data: 'after pax' },
];
const TAR_SEEDS = [makeTar(entries), makeTar(entries.slice(0, 2))];
const ZIP_SEEDS = [
  zipSync({ 'a/b.txt': text('hello '.repeat(50)), 'c.bin': new Uint8Array(300), 'd/': new Uint8Array(0) }),
  zipSync({ 'x.txt': [text('stored'), { level: 0 }] }),
];

/**
 * Reads every entry whole and checks the bound: an archive never yields more bytes than
 * `limit` (the input itself for tar and stored zip, the inflate bound for gzip and deflate).
 */
async function drain(
  src: AsyncIterable<ArchiveEntry> | Iterable<ArchiveEntry>,
  limit: number,
): Promise<void> {
  let total = 0;
  for await (const e of src as AsyncIterable<ArchiveEntry>) {
    const b = await e.bytes();
    expect(b.length).toBe(e.size);
    total += b.length;
    expect(total).toBeLessThanOrEqual(limit);
  }
}

describe('archives: hostile input ends in a DatasetError naming the file', () => {
  it('tar', async () => {
    const r = await fuzz(
      'tar',
      hostileBytes(TAR_SEEDS),
      (b) => expectCleanFailure(() => drain(readTar([b], 'fuzz.tar'), b.length), isDatasetError, 'fuzz.tar'),
      { numRuns: 3000, timeMs: 4000 },
    );
    expect(r.inputs).toBeGreaterThan(100);
  });

  it('tar.gz (streaming gunzip, then tar)', async () => {
    const seeds = TAR_SEEDS.map((t) => gzipSync(t));
    const r = await fuzz(
      'tar.gz',
      hostileBytes(seeds),
      (b) =>
        expectCleanFailure(
          () => drain(readTar(gunzipStream([b], 'fuzz.tar.gz'), 'fuzz.tar.gz'), 1032 * b.length + 1024),
          isDatasetError,
          'fuzz.tar.gz',
        ),
      { numRuns: 2000, timeMs: 4000 },
    );
    expect(r.inputs).toBeGreaterThan(100);
  });

  it('zip', async () => {
    const r = await fuzz(
      'zip',
      hostileBytes(ZIP_SEEDS),
      (b) =>
        expectCleanFailure(
          () => drain(readZip(b, 'fuzz.zip'), 1032 * b.length + 1024),
          isDatasetError,
          'fuzz.zip',
        ),
      { numRuns: 3000, timeMs: 4000 },
    );
    expect(r.inputs).toBeGreaterThan(100);
  });

  it('zip: regression corpus', async () => {
    const inputs = corpus(CORPUS, 'zip');
    expect(inputs.length).toBeGreaterThan(0);
    for (const { bytes } of inputs) {
      const e = await expectCleanFailure(
        () => drain(readZip(bytes, 'fuzz.zip'), 1032 * bytes.length + 1024),
        isDatasetError,
        'fuzz.zip',
      );
      expect(e).toBeInstanceOf(DatasetError);
    }
  });
});
