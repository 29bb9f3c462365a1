import { expectCleanFailure, fuzz, hostileBytes } from '@attnzoo/fixtures/fuzz';
import { gzipSync } from 'fflate';
import { encode } from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../errors';
import { makeIdx } from '../testing/helpers';
import { parseCifarBinary } from './cifar';
import { gunzipBytes } from './gzip';
import { parseIdx } from './idx';
import { decodeJpegRgb } from './jpeg';
import { parseAmazonPolarityCsv, parseBlitzerReviews, parseCsv, parseFastText } from './text';

const isDatasetError = (e: unknown) => e instanceof DatasetError;
const text = (s: string) => new TextEncoder().encode(s);
const BOUNDS = { numRuns: 2000, timeMs: 3000 };

function cifarRecords(n: number, labelBytes: number): Uint8Array {
  const rec = labelBytes + 3072;
  const b = new Uint8Array(n * rec);
  for (let i = 0; i < n; i++) b.fill(i % 10, i * rec, i * rec + labelBytes);
  return b;
}

function jpeg(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 4).map((_, i) => (i * 37) & 255);
  return new Uint8Array(encode({ data, width, height }, 50).data);
}

async function collect<T>(src: AsyncIterable<T>, max: number): Promise<number> {
  let n = 0;
  for await (const _ of src) expect(++n).toBeLessThanOrEqual(max);
  return n;
}

describe('file formats: hostile input ends in a DatasetError naming the file', () => {
  it('IDX (raw and gzipped): the payload returned is never larger than the bytes given', async () => {
    const raw = [
      makeIdx([3, 4, 4], new Uint8Array(48).fill(7)),
      makeIdx([5], new Uint8Array([1, 2, 3, 4, 5])),
    ];
    const r = await fuzz(
      'idx',
      hostileBytes([...raw, ...raw.map((b) => gzipSync(b))]),
      (b) =>
        expectCleanFailure(
          () => {
            const idx = parseIdx(b, 'fuzz-idx3-ubyte');
            expect(idx.data.length).toBe(idx.shape.reduce((a, d) => a * d, 1));
            expect(idx.data.length).toBeLessThanOrEqual(1032 * b.length + 1024);
          },
          isDatasetError,
          'fuzz-idx3-ubyte',
        ),
      BOUNDS,
    );
    expect(r.inputs).toBeGreaterThan(100);
  });

  it('gzip read whole', async () => {
    const r = await fuzz(
      'gzip',
      hostileBytes([gzipSync(text('hello world '.repeat(200))), gzipSync(new Uint8Array(0))]),
      (b) => expectCleanFailure(() => gunzipBytes(b, 'fuzz.gz', 1 << 20), isDatasetError, 'fuzz.gz'),
      BOUNDS,
    );
    expect(r.inputs).toBeGreaterThan(100);
  });

  it('CIFAR binary', async () => {
    const r = await fuzz(
      'cifar',
      hostileBytes([cifarRecords(2, 1), cifarRecords(1, 2)], 8000),
      (b) =>
        expectCleanFailure(
          () => {
            parseCifarBinary(b, 'cifar10', 'data_batch_fuzz.bin');
            parseCifarBinary(b, 'cifar100', 'data_batch_fuzz.bin');
          },
          isDatasetError,
          'data_batch_fuzz.bin',
        ),
      { numRuns: 500, timeMs: 3000 },
    );
    expect(r.inputs).toBeGreaterThan(50);
  });

  it('JPEG', async () => {
    const r = await fuzz(
      'jpeg',
      hostileBytes([jpeg(8, 8), jpeg(17, 5)]),
      (b) =>
        expectCleanFailure(
          () => {
            const img = decodeJpegRgb(b, 'fuzz.jpg');
            expect(img.data.length).toBe(img.width * img.height * 3);
          },
          isDatasetError,
          'fuzz.jpg',
        ),
      { numRuns: 1500, timeMs: 4000 },
    );
    expect(r.inputs).toBeGreaterThan(50);
  });

  it('CSV, fastText and Blitzer text (any bytes, any chunking)', async () => {
    const seeds = [
      text('"1","title","a ""quoted"" body"\n"2","","multi\nline"\r\n'),
      text('__label__1 bad: it broke\n__label__2 good: fine\n'),
      text('<review>\n<rating>\n4.0\n</rating>\n<review_text>\nok\n</review_text>\n</review>\n'),
    ];
    const r = await fuzz(
      'text',
      hostileBytes(seeds, 512),
      async (b) => {
        const cut = Math.floor(b.length / 3);
        const chunks = [b.subarray(0, cut), b.subarray(cut)];
        // every record comes from at least one byte, so no parser can yield more records than bytes
        for (const [name, run] of [
          ['fuzz.csv', () => collect(parseCsv(chunks, 'fuzz.csv'), b.length + 1)],
          ['fuzz.csv', () => collect(parseAmazonPolarityCsv(chunks, 'fuzz.csv'), b.length + 1)],
          ['fuzz.ft.txt', () => collect(parseFastText(chunks, 'fuzz.ft.txt'), b.length + 1)],
          ['fuzz.review', () => collect(parseBlitzerReviews(chunks, 'fuzz.review'), b.length + 1)],
        ] as const)
          await expectCleanFailure(run, isDatasetError, name);
      },
      BOUNDS,
    );
    expect(r.inputs).toBeGreaterThan(100);
  });
});
