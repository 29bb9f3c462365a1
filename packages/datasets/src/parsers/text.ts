import { DatasetError } from '../errors';
import type { ByteSource } from './bytes';
import { lines } from './bytes';

/** One labelled text example; `label` is 0-based. */
export interface LabelledText {
  text: string;
  label: number;
  rating?: number;
}

/**
 * Amazon Review Polarity fastText layout: `__label__1 <title>: <text>` (1 = negative, 2 = positive).
 * Yields label 0 (negative) / 1 (positive). Empty lines are skipped; a line without a label throws.
 */
export async function* parseFastText(src: ByteSource, what = 'fastText file'): AsyncGenerator<LabelledText> {
  let n = 0;
  for await (const line of lines(src)) {
    n++;
    if (line.length === 0) continue;
    const m = /^__label__(\d+)\s/.exec(line);
    if (!m) {
      throw new DatasetError(
        'CORRUPT',
        `${what}: line ${n} does not start with "__label__<n> "; is this the fastText layout?`,
      );
    }
    const k = Number(m[1]);
    if (k !== 1 && k !== 2)
      throw new DatasetError(
        'CORRUPT',
        `${what}: line ${n} has label ${k}; Amazon polarity labels are 1 and 2`,
      );
    yield { text: line.slice(m[0].length), label: k - 1 };
  }
}

/**
 * Streaming RFC-4180 CSV reader: quoted fields, doubled quotes, newlines inside quotes. Yields one
 * record (array of fields) at a time. Unterminated quotes at end of input throw TRUNCATED.
 */
export async function* parseCsv(src: ByteSource, what = 'CSV file'): AsyncGenerator<string[]> {
  const dec = new TextDecoder('utf-8');
  let field = '';
  let record: string[] = [];
  let inQuotes = false;
  let quotePending = false; // saw a quote inside a quoted field: either "" or the closing quote
  let any = false;
  const process = function* (s: string): Generator<string[]> {
    let i = 0;
    const n = s.length;
    while (i < n) {
      if (inQuotes) {
        if (quotePending) {
          quotePending = false;
          if (s[i] === '"') {
            field += '"';
            i++;
            continue;
          }
          inQuotes = false;
          continue; // re-examine this char outside quotes
        }
        const q = s.indexOf('"', i);
        if (q < 0) {
          field += s.slice(i);
          i = n;
        } else {
          field += s.slice(i, q);
          quotePending = true;
          i = q + 1;
        }
        continue;
      }
      const c = s[i];
      if (c === '"') {
        inQuotes = true;
        any = true;
        i++;
      } else if (c === ',') {
        record.push(field);
        field = '';
        any = true;
        i++;
      } else if (c === '\n' || c === '\r') {
        if (c === '\r' && s[i + 1] === '\n') i++;
        i++;
        if (any || field.length > 0) {
          record.push(field);
          yield record;
        }
        record = [];
        field = '';
        any = false;
      } else {
        let j = i;
        while (j < n && s[j] !== ',' && s[j] !== '"' && s[j] !== '\n' && s[j] !== '\r') j++;
        field += s.slice(i, j);
        any = true;
        i = j;
      }
    }
  };
  for await (const chunk of src as AsyncIterable<Uint8Array>)
    yield* process(dec.decode(chunk, { stream: true }));
  yield* process(dec.decode());
  if (inQuotes && !quotePending) {
    throw new DatasetError(
      'TRUNCATED',
      `${what}: the file ends inside a quoted field; it is truncated, download it again`,
    );
  }
  if (any || field.length > 0) {
    record.push(field);
    yield record;
  }
}

/** Zhang et al. escape newlines inside fields as a literal backslash-n; this undoes it. */
export function unescapeZhang(s: string): string {
  return s.includes('\\n') ? s.replace(/\\n/g, '\n') : s;
}

/**
 * Amazon Review Polarity CSV (`"<class>","<title>","<text>"`, class 1 = negative, 2 = positive). The
 * text is `<title>: <text>` as in the fastText layout (just `<text>` when the title is empty).
 */
export async function* parseAmazonPolarityCsv(
  src: ByteSource,
  what = 'Amazon polarity CSV',
): AsyncGenerator<LabelledText> {
  let n = 0;
  for await (const rec of parseCsv(src, what)) {
    n++;
    if (rec.length !== 3) {
      throw new DatasetError(
        'CORRUPT',
        `${what}: record ${n} has ${rec.length} fields, expected 3 ("class","title","text")`,
      );
    }
    const k = Number(rec[0]);
    if (k !== 1 && k !== 2)
      throw new DatasetError('CORRUPT', `${what}: record ${n} has class "${rec[0]}"; expected 1 or 2`);
    const title = unescapeZhang(rec[1]);
    const body = unescapeZhang(rec[2]);
    yield { text: title ? `${title}: ${body}` : body, label: k - 1 };
  }
}

export interface BlitzerReview {
  text: string;
  title: string;
  rating: number;
  productType: string;
}

/**
 * Blitzer et al. "unprocessed" pseudo-XML (`<review>` blocks with `<rating>`, `<title>`, `<review_text>` on
 * their own lines). Not real XML (unescaped `&`, `<`), so it is read line by line.
 */
export async function* parseBlitzerReviews(
  src: ByteSource,
  what = 'Blitzer review file',
): AsyncGenerator<BlitzerReview> {
  let cur: Record<string, string> | null = null;
  let tag: string | null = null;
  let buf: string[] = [];
  let n = 0;
  let lineNo = 0;
  for await (const raw of lines(src)) {
    lineNo++;
    const line = raw.trim();
    if (tag) {
      if (line === `</${tag}>`) {
        if (cur) cur[tag] = buf.join('\n').trim();
        tag = null;
        buf = [];
      } else buf.push(raw);
      continue;
    }
    if (line === '<review>') {
      cur = {};
    } else if (line === '</review>') {
      if (!cur) throw new DatasetError('CORRUPT', `${what}: </review> without <review> at line ${lineNo}`);
      n++;
      if (cur.review_text === undefined)
        throw new DatasetError('CORRUPT', `${what}: review ${n} has no <review_text>`);
      yield {
        text: cur.review_text,
        title: cur.title ?? '',
        rating: Number.parseFloat(cur.rating ?? 'NaN'),
        productType: cur.product_type ?? '',
      };
      cur = null;
    } else if (cur && /^<[a-z_]+>$/.test(line)) {
      tag = line.slice(1, -1);
    }
  }
  if (cur || tag)
    throw new DatasetError('TRUNCATED', `${what}: the file ends inside a <review> block; it is truncated`);
}

export interface PairStats {
  empty: number;
  misaligned: number;
}

export interface Pair {
  source: string;
  target: string;
  attribution?: string;
}

/**
 * Anki / manythings.org TSV: `english<TAB>other` (older files) or `english<TAB>other<TAB>attribution`.
 * Blank lines count as `empty`, lines with fewer than 2 columns or an empty side as `misaligned` / `empty`.
 */
export async function* parseAnkiTsv(src: ByteSource, stats: PairStats): AsyncGenerator<Pair> {
  for await (const line of lines(src)) {
    if (line.trim() === '') {
      stats.empty++;
      continue;
    }
    const cols = line.split('\t');
    if (cols.length < 2 || cols.length > 3) {
      stats.misaligned++;
      continue;
    }
    const source = cols[0].trim();
    const target = cols[1].trim();
    if (!source || !target) {
      stats.empty++;
      continue;
    }
    yield cols.length === 3 ? { source, target, attribution: cols[2] } : { source, target };
  }
}

/**
 * Europarl line-aligned files (line i of one file translates line i of the other). Pairs with an
 * empty side are skipped (`empty`); lines past the end of the shorter file are `misaligned`.
 * `sourceLines` must be already read (the first file in the archive); `targetSrc` is streamed.
 */
export async function* alignLines(
  sourceLines: string[],
  targetSrc: ByteSource,
  stats: PairStats,
  reverse = false,
): AsyncGenerator<Pair> {
  let i = 0;
  for await (const t of lines(targetSrc)) {
    if (i >= sourceLines.length) {
      stats.misaligned++;
      i++;
      continue;
    }
    const s = sourceLines[i];
    sourceLines[i] = ''; // release as we go: only one copy of the text is ever held
    i++;
    const a = s.trim();
    const b = t.trim();
    if (!a || !b) {
      stats.empty++;
      continue;
    }
    yield reverse ? { source: b, target: a } : { source: a, target: b };
  }
  if (i < sourceLines.length) stats.misaligned += sourceLines.length - i;
}
