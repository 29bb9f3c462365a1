import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ANKI, IMDB, testData } from '@attnzoo/fixtures';
import { gzipSync, zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetError, gunzipBytes, parseIdx, readDataset, readTar, readZip } from '.';
import { loadDataset } from './node';
import { makeIdx, makeTar, makeTarGz, tempDir } from './testing/helpers';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

async function drain(
  src: AsyncIterable<{ bytes(): Promise<Uint8Array> }> | Iterable<{ bytes(): Promise<Uint8Array> }>,
): Promise<number> {
  let n = 0;
  for await (const e of src as AsyncIterable<{ bytes(): Promise<Uint8Array> }>) {
    await e.bytes();
    n++;
  }
  return n;
}

describe('bad input gives clear errors', () => {
  it('IDX: wrong magic number names the expected one', () => {
    const bad = makeIdx([2], new Uint8Array([1, 2]));
    bad[0] = 0x50;
    expect(() => parseIdx(bad, 'labels')).toThrow(/wrong magic number 50 00 08 01.*00 00 08 01/);
    try {
      parseIdx(bad);
    } catch (e) {
      expect(e).toBeInstanceOf(DatasetError);
      expect((e as DatasetError).code).toBe('BAD_MAGIC');
    }
  });

  it('IDX: truncated payload (raw and gzipped) and swapped files', () => {
    const good = makeIdx([2, 2, 2], new Uint8Array(8));
    expect(() => parseIdx(good.subarray(0, good.length - 1), 'imgs')).toThrow(
      /declares shape \[2, 2, 2\].*truncated/,
    );
    const gz = gzipSync(good);
    expect(() => parseIdx(gz.subarray(0, gz.length - 10), 'imgs.gz')).toThrow(/truncated/);
    expect(parseIdx(gz).shape).toEqual([2, 2, 2]);
  });

  it('gzip: corrupt and truncated data', () => {
    const gz = gzipSync(new TextEncoder().encode('hello world '.repeat(1000)));
    const corrupt = gz.slice();
    corrupt[20] ^= 0xff;
    corrupt[21] ^= 0xff;
    expect(() => gunzipBytes(corrupt, 'x.gz')).toThrow(DatasetError);
    expect(() => gunzipBytes(gz.subarray(0, 30), 'x.gz')).toThrow(/x\.gz: gzip stream is truncated/);
  });

  it('tar: absolute paths and ".." are refused', async () => {
    await expect(drain(readTar([makeTar([{ path: '/etc/passwd', data: 'x' }])]))).rejects.toMatchObject({
      code: 'UNSAFE_PATH',
    });
    await expect(drain(readTar([makeTar([{ path: 'aclImdb/../../evil.txt', data: 'x' }])]))).rejects.toThrow(
      /contains "\.\."/,
    );
    await expect(drain(readTar([makeTar([{ path: 'ok/link', data: '', type: '2' }])]))).resolves.toBe(0);
    const zip = zipSync({ '../evil.txt': new Uint8Array(1) });
    expect(() => [...readZip(zip)]).toThrow(/contains "\.\."/);
  });

  it('tar: truncated archive, bad header checksum', async () => {
    const tar = makeTar([{ path: 'a.txt', data: 'x'.repeat(2000) }]);
    await expect(drain(readTar([tar.subarray(0, 1000)], 'a.tar'))).rejects.toMatchObject({
      code: 'TRUNCATED',
    });
    await expect(drain(readTar([tar.subarray(0, 512 + 2048)], 'a.tar'))).rejects.toThrow(
      /end-of-archive marker/,
    );
    const bad = tar.slice();
    bad[0] = 'b'.charCodeAt(0);
    await expect(drain(readTar([bad], 'a.tar'))).rejects.toThrow(/tar header checksum mismatch/);
  });

  it('zip: truncated archive and non-zip data', () => {
    const zip = readFileSync(testData.file(ANKI));
    // cut before the central directory at the end (100 kB of the full file, half of the slice)
    const cut = Math.min(100_000, Math.floor(zip.length / 2));
    expect(() => [...readZip(zip.subarray(0, cut), 'spa-eng.zip')]).toThrow(
      /central directory not found; the archive is truncated/,
    );
    expect(() => [...readZip(new Uint8Array(100), 'x.zip')]).toThrow(/not a zip archive/);
  });

  it('truncated real archive via loadDataset: IMDB tar.gz cut in half', async () => {
    const full = readFileSync(testData.file(IMDB));
    const cut = join(tmp.dir, 'aclImdb_v1.tar.gz');
    writeFileSync(cut, full.subarray(0, Math.min(200_000, Math.floor(full.length / 2))));
    await expect(loadDataset('imdb', { source: cut, split: 'test' })).rejects.toMatchObject({
      code: 'TRUNCATED',
    });
    // the user's own file is never deleted
    expect(readdirSync(tmp.dir)).toEqual(['aclImdb_v1.tar.gz']);
  });

  it('unknown data set, unknown split, empty split', async () => {
    await expect(loadDataset('mnistt', { offline: true })).rejects.toThrow(
      /unknown data set "mnistt"; known: mnist, fashion-mnist/,
    );
    const files = { open: async () => [], entries: async () => [] };
    await expect(readDataset('imdb', files, { split: 'dev' as 'test' })).rejects.toMatchObject({
      code: 'UNKNOWN_SPLIT',
    });
    const file = join(tmp.dir, 'aclImdb_v1.tar.gz');
    writeFileSync(file, makeTarGz([{ path: 'aclImdb/train/pos/1_9.txt', data: 'good' }]));
    await expect(loadDataset('imdb', { source: file, split: 'test' })).rejects.toThrow(
      /split "test" of imdb is empty/,
    );
    await expect(
      loadDataset('imdb', { source: file, split: 'validation', validationFraction: 0 }),
    ).rejects.toMatchObject({ code: 'EMPTY_SPLIT' });
  });

  it('missing source and a folder lacking the files', async () => {
    await expect(loadDataset('mnist', { source: join(tmp.dir, 'nope') })).rejects.toMatchObject({
      code: 'SOURCE_NOT_FOUND',
    });
    await expect(loadDataset('mnist', { source: tmp.dir })).rejects.toThrow(
      /train-images-idx3-ubyte\.gz .* not found in/,
    );
  });

  it('IDX images and labels of different lengths', async () => {
    writeFileSync(join(tmp.dir, 't10k-images-idx3-ubyte'), makeIdx([3, 2, 2], new Uint8Array(12)));
    writeFileSync(join(tmp.dir, 't10k-labels-idx1-ubyte'), makeIdx([2], new Uint8Array(2)));
    await expect(loadDataset('mnist', { source: tmp.dir, split: 'test' })).rejects.toThrow(
      /holds 3 images but .* holds 2 labels/,
    );
  });
});
