import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, zipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { DatasetError } from './errors';
import { DEFAULT_DATASET_LIMITS, setDatasetLimits } from './limits';
import { directoryEntries } from './node/files';
import { gunzipBytes, gunzipStream } from './parsers/gzip';
import { parseIdx } from './parsers/idx';
import { readTar } from './parsers/tar';
import { readZip } from './parsers/zip';
import { makeTar } from './testing/helpers';

afterEach(() => {
  setDatasetLimits(DEFAULT_DATASET_LIMITS);
});

async function firstEntryBytes(
  src: AsyncIterable<{ bytes(): Promise<Uint8Array> }> | Iterable<{ bytes(): Promise<Uint8Array> }>,
) {
  for await (const e of src as AsyncIterable<{ bytes(): Promise<Uint8Array> }>) return e.bytes();
  return undefined;
}

/** Rewrites a tar header's size field (octal or GNU base-256) and fixes its checksum. */
function withSize(tar: Uint8Array, field: Uint8Array): Uint8Array {
  const t = tar.slice();
  t.set(field, 124);
  t.fill(32, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += t[i];
  t.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
  return t;
}

/** Offset of the (only) central directory entry of a zip. */
function centralEntry(zip: Uint8Array): number {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  for (let i = zip.length - 4; i >= 0; i--) if (v.getUint32(i, true) === 0x02014b50) return i;
  throw new Error('no central directory entry');
}

describe('declared sizes are checked before anything is allocated', () => {
  it('a gzip bomb read whole stops at the limit with TOO_LARGE', () => {
    const bomb = gzipSync(new Uint8Array(8 << 20)); // 8 MiB of zeros in ~8 KB
    expect(bomb.length).toBeLessThan(20_000);
    expect(() => gunzipBytes(bomb, 'bomb.gz', 1 << 20)).toThrow(
      expect.objectContaining({
        code: 'TOO_LARGE',
        message: expect.stringMatching(/bomb\.gz.*maxFileBytes/),
      }),
    );
    expect(gunzipBytes(bomb, 'bomb.gz', 8 << 20).length).toBe(8 << 20);
  });

  it('an IDX file that gunzips past maxFileBytes is refused', () => {
    setDatasetLimits({ maxFileBytes: 1 << 16 });
    const idx = new Uint8Array(4 + 4 + (1 << 20));
    idx[2] = 8;
    idx[3] = 1;
    new DataView(idx.buffer).setUint32(4, 1 << 20);
    expect(() => parseIdx(gzipSync(idx), 'train-images-idx3-ubyte.gz')).toThrow(
      expect.objectContaining({
        code: 'TOO_LARGE',
        message: expect.stringContaining('train-images-idx3-ubyte.gz'),
      }),
    );
  });

  it('a tar entry read whole over maxFileBytes is refused, and streaming it still works', async () => {
    setDatasetLimits({ maxFileBytes: 1000 });
    const tar = makeTar([{ path: 'big.txt', data: 'x'.repeat(5000) }]);
    await expect(firstEntryBytes(readTar([tar], 'big.tar'))).rejects.toMatchObject({ code: 'TOO_LARGE' });
    let streamed = 0;
    for await (const e of readTar([tar], 'big.tar')) for await (const c of e.body()) streamed += c.length;
    expect(streamed).toBe(5000);
  });

  it('a pax header declaring 1 GiB inside a tar.gz is refused before it is read', async () => {
    const tar = withSize(
      makeTar([{ path: 'pax', data: '', type: 'x' }]),
      new TextEncoder().encode('10000000000\0'),
    );
    await expect(
      firstEntryBytes(readTar(gunzipStream([gzipSync(tar)], 'pax.tar.gz'), 'pax.tar.gz')),
    ).rejects.toMatchObject({
      code: 'TOO_LARGE',
      message: expect.stringContaining('pax.tar.gz: tar metadata record'),
    });
  });

  it('a negative GNU base-256 size is CORRUPT', async () => {
    const tar = withSize(makeTar([{ path: 'a', data: 'x' }]), new Uint8Array(12).fill(0xff));
    await expect(firstEntryBytes(readTar([tar], 'neg.tar'))).rejects.toMatchObject({ code: 'CORRUPT' });
  });

  it('a zip entry declaring more than its compressed bytes can hold is refused when listed', () => {
    const zip = zipSync({ 'a.txt': new TextEncoder().encode('hello '.repeat(100)) });
    const v = new DataView(zip.buffer);
    const cd = centralEntry(zip);
    v.setUint32(cd + 24, 0xfffffff0, true); // uncompressed size in the central directory
    expect(() => [...readZip(zip, 'bomb.zip')]).toThrow(
      expect.objectContaining({
        code: 'CORRUPT',
        message: expect.stringMatching(/bomb\.zip: a\.txt declares 4294967280 bytes/),
      }),
    );
  });

  it('a zip entry that inflates past its declared size is stopped', async () => {
    const zip = zipSync({ 'z.bin': new Uint8Array(1 << 20) });
    const v = new DataView(zip.buffer);
    const cd = centralEntry(zip);
    v.setUint32(cd + 24, 1000, true);
    await expect(firstEntryBytes(readZip(zip, 'z.zip'))).rejects.toMatchObject({
      code: 'CORRUPT',
      message: expect.stringContaining('inflates to more than the 1000 bytes'),
    });
  });

  it('a file of an extracted folder over maxFileBytes is refused before it is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attnzoo-limits-'));
    try {
      writeFileSync(join(dir, 'big.txt'), 'x'.repeat(5000));
      setDatasetLimits({ maxFileBytes: 1000 });
      await expect(firstEntryBytes(directoryEntries(dir))).rejects.toMatchObject({
        code: 'TOO_LARGE',
        message: expect.stringContaining(
          'big.txt declares or holds 5000 bytes, over the maxFileBytes limit of 1000 bytes',
        ),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('limits must be positive integers', () => {
    expect(() => setDatasetLimits({ maxFileBytes: -1 })).toThrow(DatasetError);
  });
});
