import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../errors';
import { loadLabelledTexts, readLabelledTexts, readTextPairs } from './labelled-texts';

let dir: string;
const file = async (name: string, text: string) => {
  const p = join(dir, name);
  await fs.writeFile(p, text);
  return p;
};
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'attnzoo-own-text-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe("a user's own labelled texts", () => {
  it('reads CSV with quotes, doubled quotes, newlines in fields, CRLF and a byte-order mark', async () => {
    const p = await file(
      'r.csv',
      '\uFEFFid,review,stars\r\n1,"Great, really ""great""",5\r\n2,"two\nlines",1\r\n3,plain,5\r\n',
    );
    const r = await readLabelledTexts(p, { textColumn: 'review', labelColumn: 'stars' });
    expect(r).toEqual({
      texts: ['Great, really "great"', 'two\nlines', 'plain'],
      labels: ['5', '1', '5'],
      format: 'csv',
    });
  });

  it('reads TSV without a header by column index, JSONL by key, and a folder per class', async () => {
    const tsv = await file('r.tsv', 'good film\tpos\nbad film\tneg\n');
    expect((await readLabelledTexts(tsv, { header: false })).labels).toEqual(['pos', 'neg']);
    const jl = await file('r.jsonl', '{"body":"fine","y":1}\n\n{"body":"awful","y":0}\n');
    expect(await readLabelledTexts(jl, { textColumn: 'body', labelColumn: 'y' })).toEqual({
      texts: ['fine', 'awful'],
      labels: ['1', '0'],
      format: 'jsonl',
    });
    const folder = join(dir, 'classes');
    await fs.mkdir(join(folder, 'spam'), { recursive: true });
    await fs.mkdir(join(folder, 'ham'), { recursive: true });
    await fs.writeFile(join(folder, 'spam', 'a.txt'), 'buy now');
    await fs.writeFile(join(folder, 'ham', 'b.txt'), 'see you');
    await fs.writeFile(join(folder, 'ham', 'notes.md'), 'not a text example');
    await fs.mkdir(join(folder, 'empty'));
    await expect(readLabelledTexts(folder)).rejects.toThrow(
      /class folder "empty" has no \.txt files .*add examples or remove the folder/,
    );
    await fs.rmdir(join(folder, 'empty'));
    expect(await readLabelledTexts(folder)).toEqual({
      texts: ['see you', 'buy now'],
      labels: ['ham', 'spam'],
      format: 'folder',
    });
  });

  it('labels by name (alphabetical) or integer (numeric order) and splits every class seeded', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => `t${i},${[2, 10, 1][i % 3]}`).join('\n');
    const p = await file('n.csv', `text,label\n${rows}\n`);
    const a = await loadLabelledTexts(p, { seed: 1 });
    const b = await loadLabelledTexts(p, { seed: 1 });
    expect(a.train.classNames).toEqual(['1', '2', '10']);
    expect(a.test.texts.length).toBe(6); // 10 % of each class of 20
    expect(Array.from(a.test.labels).sort()).toEqual([0, 0, 1, 1, 2, 2]);
    expect(a.train.texts.length + a.test.texts.length).toBe(60);
    expect(new Set([...a.train.texts, ...a.test.texts]).size).toBe(60);
    expect(b.test.texts).toEqual(a.test.texts);
    expect((await loadLabelledTexts(p, { seed: 2 })).test.texts).not.toEqual(a.test.texts);
  });

  it('says what is wrong, where, and what to do', async () => {
    const cases: [string, string, object, RegExp][] = [
      [
        'col.csv',
        'body,label\nx,1\n',
        {},
        /no text column "text" in the header \[body, label\]; pass --text-column/,
      ],
      ['short.csv', 'text,label\nonly-text\n', {}, /short\.csv:2: 1 field\(s\)/],
      ['quote.csv', 'text,label\n"open,1\n', {}, /quote\.csv:2: a quoted field is not closed/],
      ['json.jsonl', '{"text":"a","label":1}\nnot json\n', {}, /json\.jsonl:2: not a JSON object/],
      [
        'key.jsonl',
        '{"review":"a","label":1}\n',
        {},
        /no string "text" \(keys: review, label\).*--text-column/,
      ],
      ['one.csv', 'text,label\na,x\nb,x\n', {}, /every text has the label "x"/],
      ['empty.csv', 'text,label\n', {}, /no labelled texts found/],
      ['data.txt', 'a\n', {}, /not a file of labelled texts/],
    ];
    for (const [name, text, o, message] of cases) {
      const p = await file(name, text);
      const error = await loadLabelledTexts(p, o).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(DatasetError);
      expect((error as Error).message, name).toMatch(message);
      expect((error as Error).message, name).toContain(p);
    }
  });
});

describe("a user's own sentence pairs", () => {
  it('reads a CSV by column names, a TSV without a header, and two aligned files', async () => {
    const csv = await file('p.csv', 'id,en,es\n1,"Hello, friend.",Hola amigo.\n2,Thanks.,Gracias.\n');
    expect(await readTextPairs(csv, { sourceColumn: 'en', targetColumn: 'es' })).toEqual({
      source: ['Hello, friend.', 'Thanks.'],
      target: ['Hola amigo.', 'Gracias.'],
    });
    const tsv = await file('p.tsv', 'Hi.\tHola.\nBye.\tAdiós.\n');
    expect((await readTextPairs(tsv, { header: false })).target).toEqual(['Hola.', 'Adiós.']);
    const en = await file('a.en', 'one\ntwo\n');
    const es = await file('a.es', 'uno\ndos\n');
    expect(await readTextPairs([en, es])).toEqual({ source: ['one', 'two'], target: ['uno', 'dos'] });
  });

  it('refuses misaligned files, missing columns and empty sides, naming file and line', async () => {
    const en = await file('b.en', 'one\ntwo\nthree\n');
    const es = await file('b.es', 'uno\ndos\n');
    await expect(readTextPairs([en, es])).rejects.toThrow(/has 3 lines and .*b\.es 2: .*align them/);
    const cols = await file('c.csv', 'en,es\na,b\n');
    await expect(readTextPairs(cols)).rejects.toThrow(
      /no source column "source" in the header \[en, es\]; pass --source-column/,
    );
    const gap = await file('d.csv', 'source,target\na,b\nc,\n');
    await expect(readTextPairs(gap)).rejects.toThrow(/d\.csv:3: an empty sentence/);
  });
});
