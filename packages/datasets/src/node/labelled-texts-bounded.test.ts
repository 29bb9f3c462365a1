// Reading a large file holds a chunk and a record, never the file: checked by the chunks the
// reader sees, what it carries between them, that it never reads the file whole, and the live heap
// (after a forced garbage collection, so the figure is what is held, not what awaits collection).
import nodeFs, { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readLabelledTexts, readTextPairs } from './labelled-texts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'attnzoo-large-csv-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const ROWS_PER_BLOCK = 1000;
const BLOCKS = 56;
const NOTES = 'n'.repeat(900);

/** A ~56 MB CSV: short texts and labels, a long ignored column, quoted fields across lines. */
async function largeCsv(path: string): Promise<number> {
  const out = nodeFs.createWriteStream(path);
  out.write('\uFEFFid,text,label,notes\r\n');
  for (let b = 0; b < BLOCKS; b++) {
    let block = '';
    for (let r = 0; r < ROWS_PER_BLOCK; r++) {
      const k = b * ROWS_PER_BLOCK + r;
      block += `${k},"row ${k} of the file, ""said""\nagain and again",${k % 2 ? 'pos' : 'neg'},${NOTES}\r\n`;
    }
    if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return (await fs.stat(path)).size;
}

describe('a large file of labelled texts', () => {
  it('is read in bounded chunks, carrying one record at most, with live memory far below the file size', async () => {
    const path = join(dir, 'large.csv');
    const size = await largeCsv(path);
    expect(size).toBeGreaterThan(50e6);
    const readFile = vi.spyOn(nodeFs.promises, 'readFile');
    const readFileSync = vi.spyOn(nodeFs, 'readFileSync');
    const chunkSize = 1 << 15;
    let chunks = 0;
    let largestChunk = 0;
    let carriedMost = 0;
    gc();
    const before = process.memoryUsage().heapUsed;
    let liveMost = 0;
    const r = await readLabelledTexts(path, {
      stream: {
        chunkSize,
        onChunk: (length, carried) => {
          chunks++;
          largestChunk = Math.max(largestChunk, length);
          carriedMost = Math.max(carriedMost, carried);
          if (chunks % 200 === 0) {
            gc();
            liveMost = Math.max(liveMost, process.memoryUsage().heapUsed - before);
          }
        },
      },
    });
    expect(readFile).not.toHaveBeenCalled();
    expect(readFileSync).not.toHaveBeenCalled();
    readFile.mockRestore();
    readFileSync.mockRestore();
    const n = ROWS_PER_BLOCK * BLOCKS;
    expect(r.texts.length).toBe(n);
    expect(r.texts[n - 1]).toBe(`row ${n - 1} of the file, "said"\nagain and again`);
    expect(r.labels[n - 1]).toBe(n % 2 ? 'neg' : 'pos');
    expect(chunks).toBeGreaterThanOrEqual(size / chunkSize);
    expect(largestChunk).toBeLessThanOrEqual(chunkSize);
    // The record in progress is at most one row (about 950 characters), not the file.
    expect(carriedMost).toBeLessThan(1000);
    expect(liveMost).toBeGreaterThan(0);
    // What is live is the kept texts (56,000 short strings, about 8 MB), a chunk and a record. A reader
    // holding the file, or texts that pin the chunks they were cut from, holds over the file size.
    expect(liveMost).toBeLessThan(size / 4);
  }, 120_000);

  it('reads translation pairs from a large CSV with the same bounded chunks', async () => {
    const path = join(dir, 'pairs.csv');
    const out = nodeFs.createWriteStream(path);
    out.write('source,target\n');
    for (let b = 0; b < 20; b++) out.write(`"a ""${b}""\nb",c${b}\n`.repeat(500));
    await new Promise<void>((resolve) => out.end(resolve));
    let largestChunk = 0;
    let carriedMost = 0;
    const p = await readTextPairs(path, {
      stream: {
        chunkSize: 7,
        onChunk: (length, carried) => {
          largestChunk = Math.max(largestChunk, length);
          carriedMost = Math.max(carriedMost, carried);
        },
      },
    });
    expect(p.source.length).toBe(10_000);
    expect(p.source[9999]).toBe('a "19"\nb');
    expect(p.target[9999]).toBe('c19');
    expect(largestChunk).toBeLessThanOrEqual(7);
    expect(carriedMost).toBeLessThan(12);
  });
});
