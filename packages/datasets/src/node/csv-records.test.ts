import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsvTokenizer, csvRecords } from './csv-records';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'attnzoo-csv-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Tokenizes `text` pushed in chunks of `size` characters. */
function tokenize(text: string, size: number) {
  const t = new CsvTokenizer('t.csv', ',');
  const out = [];
  for (let i = 0; i < text.length; i += size) out.push(...t.push(text.slice(i, i + size)));
  out.push(...t.end());
  return out;
}

// Fields with every character that matters to the tokenizer; a field that needs quotes gets them,
// others at random. No lone CR inside a field, so a record's line is 1 + the LFs before it.
const field = fc
  .tuple(
    fc.array(fc.constantFrom('a', 'é', ' ', ',', '"', '\n', '\r\n', '\t', 'z'), { maxLength: 6 }),
    fc.boolean(),
  )
  .map(([cs, q]) => {
    const s = cs.join('');
    const quote = q || /[",\r\n]/.test(s);
    return { value: s, text: quote ? `"${s.replaceAll('"', '""')}"` : s };
  });
const record = fc
  .array(field, { minLength: 1, maxLength: 4 })
  .filter((fs) => !(fs.length === 1 && fs[0].value === '')); // that is an empty line
const csv = fc
  .record({
    records: fc.array(fc.tuple(record, fc.constantFrom('\n', '\r\n'), fc.nat(2)), { maxLength: 6 }),
    bom: fc.boolean(),
    finalNewline: fc.boolean(),
  })
  .map(({ records, bom, finalNewline }) => {
    let text = bom ? '\uFEFF' : '';
    const expected: { fields: string[]; line: number }[] = [];
    records.forEach(([fields, eol, blank], k) => {
      text += eol.repeat(blank); // empty lines are skipped
      const line = 1 + (text.match(/\n/g)?.length ?? 0);
      expected.push({ fields: fields.map((f) => f.value), line });
      text += fields.map((f) => f.text).join(',');
      if (k < records.length - 1 || finalNewline) text += eol;
    });
    return { text, expected };
  });

describe('the streamed CSV tokenizer', () => {
  it('reads the same records, with their lines, at every chunk size from 1 to the whole text', () => {
    fc.assert(
      fc.property(csv, ({ text, expected }) => {
        for (let size = 1; size <= Math.max(1, text.length); size++)
          expect(tokenize(text, size)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('splits a doubled quote, a closing quote and a CRLF at a chunk boundary correctly', () => {
    const text = 'a,"x""y"\r\n"q",b\r\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const t = new CsvTokenizer('t.csv', ',');
      const got = [...t.push(text.slice(0, cut)), ...t.push(text.slice(cut)), ...t.end()];
      expect(got).toEqual([
        { fields: ['a', 'x"y'], line: 1 },
        { fields: ['q', 'b'], line: 2 },
      ]);
    }
  });

  it('keeps its errors: a character after a closing quote and an unclosed quote, with their lines', () => {
    expect(() => tokenize('a,b\nc,"d"e\n', 3)).toThrow(
      't.csv:2: a character after a closing quote ("e"); quote the whole field, doubling quotes inside it.',
    );
    expect(() => tokenize('a,b\nc,"d\ne\n', 2)).toThrow(
      't.csv:2: a quoted field is not closed before the end of the file; close the quote.',
    );
  });

  it('reads a file in byte chunks of every size, multi-byte characters and the byte-order mark split anywhere', async () => {
    const text = '\uFEFFtext,label\r\n"été, ""chaud""\nsoleil",é\r\n\r\nplain,ü\n';
    const path = join(dir, 'small.csv');
    await fs.writeFile(path, text);
    const bytes = Buffer.byteLength(text);
    for (let chunkSize = 1; chunkSize <= bytes; chunkSize++) {
      const got = [];
      for await (const r of csvRecords(path, ',', { chunkSize })) got.push(r);
      expect(got).toEqual([
        { fields: ['text', 'label'], line: 1 },
        { fields: ['été, "chaud"\nsoleil', 'é'], line: 2 },
        { fields: ['plain', 'ü'], line: 5 },
      ]);
    }
  });
});
