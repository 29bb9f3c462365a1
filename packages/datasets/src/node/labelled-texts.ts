// A user's own labelled texts: CSV/TSV (columns chosen by name, header or not), JSONL (keys chosen
// by name) or a folder with one sub-folder of .txt files per class. Read as a stream, so the file
// itself is never held whole; every malformed row is a DatasetError naming file, line and fix.
import { createReadStream, promises as fs } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { DatasetError } from '../errors';
import { seededPermutation } from '../random';
import type { TextSplit } from '../types';
import { csvRecords, DEFAULT_CHUNK_SIZE, type TextStreamOptions } from './csv-records';

export type LabelledTextFormat = 'csv' | 'tsv' | 'jsonl' | 'folder';

export interface LabelledTextOptions {
  /** Column (CSV/TSV header name, or 0-based index without a header) or JSON key of the text. Default 'text'. */
  textColumn?: string;
  /** Column or JSON key of the label. Default 'label'. */
  labelColumn?: string;
  /** CSV/TSV: whether the first row names the columns (default true). */
  header?: boolean;
  /** How the file is streamed (chunk size); the file is never held whole. */
  stream?: TextStreamOptions;
}

/** Lines of a text file, streamed: only the line in progress is held besides the chunk. */
function fileLines(path: string, stream: TextStreamOptions = {}): AsyncIterable<string> {
  return createInterface({
    input: createReadStream(path, {
      encoding: 'utf8',
      highWaterMark: stream.chunkSize ?? DEFAULT_CHUNK_SIZE,
    }),
    crlfDelay: Infinity,
  });
}

const EXTENSIONS: Record<string, LabelledTextFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
};

/** The own-data format of a path, or undefined when it is not one (an archive, a .bin, ...). */
export async function labelledTextFormat(path: string): Promise<LabelledTextFormat | undefined> {
  const stat = await fs.stat(path).catch(() => undefined);
  if (stat?.isDirectory()) return 'folder';
  return EXTENSIONS[extname(path).toLowerCase()];
}

function bad(path: string, where: string, problem: string, fix: string): DatasetError {
  return new DatasetError('CORRUPT', `${path}${where}: ${problem}; ${fix}.`);
}

function columnIndex(
  path: string,
  header: string[] | undefined,
  column: string,
  what: string,
  flag: string,
): number {
  if (header) {
    const i = header.indexOf(column);
    if (i < 0)
      throw bad(
        path,
        ':1',
        `no ${what} column "${column}" in the header [${header.join(', ')}]`,
        `pass ${flag} <name>`,
      );
    return i;
  }
  const i = Number(column);
  if (!Number.isInteger(i) || i < 0)
    throw bad(
      path,
      '',
      `without a header the ${what} column is a 0-based index, not "${column}"`,
      `pass ${flag} <index>`,
    );
  return i;
}

/** Texts and their label strings, in file order. */
export async function readLabelledTexts(
  path: string,
  o: LabelledTextOptions = {},
): Promise<{ texts: string[]; labels: string[]; format: LabelledTextFormat }> {
  const format = await labelledTextFormat(path);
  if (!format)
    throw new DatasetError(
      'BAD_ARGUMENT',
      `${path}: not a file of labelled texts (.csv, .tsv, .jsonl) nor a folder of class folders; convert it to one of those.`,
    );
  const texts: string[] = [];
  const labels: string[] = [];
  const textColumn = o.textColumn ?? 'text';
  const labelColumn = o.labelColumn ?? 'label';
  if (format === 'folder') {
    const classes = (await fs.readdir(path, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    for (const cls of classes.sort()) {
      const files = (await fs.readdir(join(path, cls))).filter((f) => f.endsWith('.txt')).sort();
      if (files.length === 0)
        throw bad(
          path,
          '',
          `the class folder "${cls}" has no .txt files (a class with no examples)`,
          'add examples or remove the folder',
        );
      for (const f of files) {
        texts.push(await fs.readFile(join(path, cls, f), 'utf8'));
        labels.push(cls);
      }
    }
  } else if (format === 'jsonl') {
    const lines = fileLines(path, o.stream);
    let n = 0;
    for await (const raw of lines) {
      n++;
      const line = n === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (line.trim() === '') continue;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch (e) {
        throw bad(
          path,
          `:${n}`,
          `not a JSON object (${(e as Error).message})`,
          'write one JSON object per line',
        );
      }
      if (typeof row !== 'object' || row === null || Array.isArray(row))
        throw bad(path, `:${n}`, 'not a JSON object', 'write one JSON object per line');
      const r = row as Record<string, unknown>;
      const text = r[textColumn];
      const label = r[labelColumn];
      if (typeof text !== 'string')
        throw bad(
          path,
          `:${n}`,
          `no string "${textColumn}" (keys: ${Object.keys(r).join(', ')})`,
          'pass --text-column <key>',
        );
      if (typeof label !== 'string' && typeof label !== 'number')
        throw bad(
          path,
          `:${n}`,
          `no string or number "${labelColumn}" (keys: ${Object.keys(r).join(', ')})`,
          'pass --label-column <key>',
        );
      texts.push(text);
      labels.push(String(label));
    }
  } else {
    let header: string[] | undefined;
    let ti = -1;
    let li = -1;
    for await (const { fields, line } of csvRecords(path, format === 'tsv' ? '\t' : ',', o.stream)) {
      if (ti < 0) {
        if (o.header ?? true) {
          header = fields.map((f) => f.trim());
          ti = columnIndex(path, header, textColumn, 'text', '--text-column');
          li = columnIndex(path, header, labelColumn, 'label', '--label-column');
          continue;
        }
        ti = columnIndex(path, undefined, o.textColumn ?? '0', 'text', '--text-column');
        li = columnIndex(path, undefined, o.labelColumn ?? '1', 'label', '--label-column');
      }
      if (fields.length <= Math.max(ti, li))
        throw bad(
          path,
          `:${line}`,
          `${fields.length} field(s), the text and label need ${Math.max(ti, li) + 1}`,
          'check the delimiter and quoting of that row',
        );
      const label = fields[li].trim();
      if (label === '') throw bad(path, `:${line}`, 'an empty label', 'label every row');
      texts.push(fields[ti]);
      labels.push(label);
    }
  }
  if (texts.length === 0)
    throw new DatasetError(
      'EMPTY_SPLIT',
      `${path}: no labelled texts found; check the format (${format}) and the columns.`,
    );
  return { texts, labels, format };
}

/**
 * The texts as a TextSplit: classes named by their label strings, in numeric order when every
 * label is an integer, else alphabetical (so the same file always gives the same class ids).
 */
export function labelledSplit(texts: string[], labels: string[], path: string): TextSplit {
  const names = [...new Set(labels)];
  const numeric = names.every((n) => /^-?\d+$/.test(n));
  names.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  if (names.length < 2)
    throw new DatasetError(
      'BAD_ARGUMENT',
      `${path}: every text has the label "${names[0]}"; a classifier needs at least two classes.`,
    );
  const id = new Map(names.map((n, i) => [n, i]));
  return {
    kind: 'text',
    texts,
    labels: Int32Array.from(labels, (l) => id.get(l) as number),
    classNames: names,
  };
}

/**
 * A seeded, stratified train/test split of one file: `testFraction` of every class (at least one
 * example of each class with two or more) goes to test.
 */
export function splitLabelledTexts(
  split: TextSplit,
  testFraction: number,
  seed: number,
): { train: TextSplit; test: TextSplit } {
  const byClass = new Map<number, number[]>();
  const order = seededPermutation(split.texts.length, seed);
  for (const i of order) {
    const c = split.labels[i];
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)?.push(i);
  }
  const train: number[] = [];
  const test: number[] = [];
  for (const idx of byClass.values()) {
    const k = idx.length < 2 ? 0 : Math.max(1, Math.round(idx.length * testFraction));
    test.push(...idx.slice(0, k));
    train.push(...idx.slice(k));
  }
  train.sort((a, b) => a - b);
  test.sort((a, b) => a - b);
  const pick = (ix: number[]): TextSplit => ({
    ...split,
    texts: ix.map((i) => split.texts[i]),
    labels: Int32Array.from(ix, (i) => split.labels[i]),
  });
  return { train: pick(train), test: pick(test) };
}

/** A user's file or folder of labelled texts, read, labelled and split (seeded, stratified). */
export async function loadLabelledTexts(
  path: string,
  o: LabelledTextOptions & { testFraction?: number; seed?: number } = {},
): Promise<{ dataset: string; format: LabelledTextFormat; train: TextSplit; test: TextSplit }> {
  const { texts, labels, format } = await readLabelledTexts(path, o);
  const all = labelledSplit(texts, labels, path);
  const { train, test } = splitLabelledTexts(all, o.testFraction ?? 0.1, o.seed ?? 42);
  return { dataset: basename(path), format, train, test };
}

/**
 * Sentence pairs for translation: a CSV/TSV with a source and a target column (header names, or
 * indices 0 and 1 without a header), or two aligned text files, one sentence a line.
 */
export async function readTextPairs(
  paths: string | [string, string],
  o: { sourceColumn?: string; targetColumn?: string; header?: boolean; stream?: TextStreamOptions } = {},
): Promise<{ source: string[]; target: string[] }> {
  const source: string[] = [];
  const target: string[] = [];
  if (Array.isArray(paths)) {
    const read = async (p: string) => {
      const lines: string[] = [];
      for await (const line of fileLines(p, o.stream)) lines.push(line.replace(/^\uFEFF/, ''));
      while (lines.length && lines[lines.length - 1] === '') lines.pop();
      return lines;
    };
    const [a, b] = await Promise.all(paths.map(read));
    if (a.length !== b.length)
      throw new DatasetError(
        'CORRUPT',
        `${paths[0]} has ${a.length} lines and ${paths[1]} ${b.length}: aligned files need one sentence per line in both; align them.`,
      );
    return { source: a, target: b };
  }
  const format = EXTENSIONS[extname(paths).toLowerCase()];
  if (format !== 'csv' && format !== 'tsv')
    throw new DatasetError(
      'BAD_ARGUMENT',
      `${paths}: sentence pairs are read from a .csv or .tsv (source,target) or from two aligned text files; convert it.`,
    );
  const header = o.header ?? true;
  const want = [o.sourceColumn ?? (header ? 'source' : '0'), o.targetColumn ?? (header ? 'target' : '1')];
  let index: number[] | undefined;
  for await (const { fields, line } of csvRecords(paths, format === 'tsv' ? '\t' : ',', o.stream)) {
    if (!index) {
      const names = header ? fields.map((f) => f.trim()) : undefined;
      index = [
        columnIndex(paths, names, want[0], 'source', '--source-column'),
        columnIndex(paths, names, want[1], 'target', '--target-column'),
      ];
      if (header) continue;
    }
    if (fields.length <= Math.max(...index))
      throw bad(
        paths,
        `:${line}`,
        `${fields.length} field(s), a pair needs ${Math.max(...index) + 1}`,
        'check the delimiter and quoting of that row',
      );
    const [s, t] = index.map((i) => fields[i].trim());
    if (s === '' || t === '')
      throw bad(paths, `:${line}`, 'an empty sentence', 'give both sides of every pair');
    source.push(s);
    target.push(t);
  }
  if (source.length === 0)
    throw new DatasetError(
      'EMPTY_SPLIT',
      `${paths}: no sentence pairs found; check the delimiter and the columns.`,
    );
  return { source, target };
}
