// An incremental CSV/TSV tokenizer (RFC 4180: quoted fields, doubled quotes, newlines inside
// quotes, CRLF, a byte-order mark, empty lines skipped) fed chunk by chunk from a file stream, so a
// file of any size is read holding one chunk and the record in progress, never the whole file.
import { createReadStream } from 'node:fs';
import { DatasetError } from '../errors';

export interface CsvRecord {
  fields: string[];
  /** 1-based line where the record starts. */
  line: number;
}

export interface TextStreamOptions {
  /** Bytes read from the file at a time (default 64 KiB). */
  chunkSize?: number;
  /**
   * Called after each chunk with its length and the characters the tokenizer carries into the
   * next one (the record in progress): what reading holds besides the records already returned.
   */
  onChunk?: (chunkLength: number, carried: number) => void;
}

export const DEFAULT_CHUNK_SIZE = 1 << 16;

function bad(path: string, line: number, problem: string, fix: string): DatasetError {
  return new DatasetError('CORRUPT', `${path}:${line}: ${problem}; ${fix}.`);
}

/**
 * A copy of a field that holds only its own characters: V8 makes a slice of a chunk a view that
 * keeps the whole chunk alive, so kept fields would otherwise pin every chunk (the whole file).
 */
function detach(field: string): string {
  return field.length < 13 ? field : ` ${field}`.slice(1);
}

/**
 * Push chunks, get the records they complete. State carries across chunks, so a quoted field, a
 * doubled quote or a CRLF split by a chunk boundary reads the same at every chunk size.
 */
export class CsvTokenizer {
  private field = '';
  private fields: string[] = [];
  private quoted = false;
  /** A quote inside a quoted field ended the last chunk: a doubled quote or the closing one. */
  private quoteAtEnd = false;
  private afterQuote = false;
  /** A CR ended the last record: a LF right after it belongs to it. */
  private afterCr = false;
  private line = 1;
  private startLine = 1;
  private first = true;

  constructor(
    private readonly path: string,
    private readonly delimiter: string,
  ) {}

  /** Characters held for the record in progress. */
  get carried(): number {
    let n = this.field.length;
    for (const f of this.fields) n += f.length;
    return n;
  }

  push(chunk: string): CsvRecord[] {
    let text = chunk;
    if (this.first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte-order mark
      this.first = false;
    }
    const out: CsvRecord[] = [];
    const d = this.delimiter;
    let i = 0;
    while (i < text.length) {
      const ch = text[i];
      if (this.afterCr) {
        this.afterCr = false;
        if (ch === '\n') {
          i++;
          continue;
        }
      }
      if (this.quoteAtEnd) {
        this.quoteAtEnd = false;
        if (ch === '"') {
          this.field += '"';
          i++;
          continue;
        }
        this.quoted = false;
        this.afterQuote = true;
      }
      if (this.quoted) {
        // Copy the run up to the next quote in one slice.
        let j = text.indexOf('"', i);
        if (j < 0) j = text.length;
        const run = text.slice(i, j);
        for (let k = run.indexOf('\n'); k >= 0; k = run.indexOf('\n', k + 1)) this.line++;
        this.field += run;
        i = j;
        if (i < text.length) {
          // The quote: doubled (one quote in the field) or closing; the next chunk decides at its end.
          if (i + 1 === text.length) this.quoteAtEnd = true;
          else if (text[i + 1] === '"') {
            this.field += '"';
            i++;
          } else {
            this.quoted = false;
            this.afterQuote = true;
          }
          i++;
        }
        continue;
      }
      if (ch === '"' && this.field === '' && !this.afterQuote) {
        this.quoted = true;
      } else if (ch === d) {
        this.fields.push(detach(this.field));
        this.field = '';
        this.afterQuote = false;
      } else if (ch === '\n' || ch === '\r') {
        this.afterCr = ch === '\r';
        this.endRecord(out);
      } else if (this.afterQuote) {
        throw bad(
          this.path,
          this.line,
          `a character after a closing quote ("${ch}")`,
          'quote the whole field, doubling quotes inside it',
        );
      } else {
        // Copy the plain run up to the next special character in one slice.
        let j = i + 1;
        while (j < text.length) {
          const c = text[j];
          if (c === d || c === '\n' || c === '\r' || c === '"') break;
          j++;
        }
        this.field += text.slice(i, j);
        i = j;
        continue;
      }
      i++;
    }
    return out;
  }

  /** The last record, when the file does not end with a newline; throws on an unclosed quote. */
  end(): CsvRecord[] {
    if (this.quoteAtEnd) {
      this.quoteAtEnd = false;
      this.quoted = false;
      this.afterQuote = true;
    }
    if (this.quoted)
      throw bad(
        this.path,
        this.startLine,
        'a quoted field is not closed before the end of the file',
        'close the quote',
      );
    const out: CsvRecord[] = [];
    if (this.field !== '' || this.fields.length > 0) this.endRecord(out);
    return out;
  }

  private endRecord(out: CsvRecord[]): void {
    this.fields.push(detach(this.field));
    if (!(this.fields.length === 1 && this.fields[0] === ''))
      out.push({ fields: this.fields, line: this.startLine });
    this.fields = [];
    this.field = '';
    this.afterQuote = false;
    this.line++;
    this.startLine = this.line;
  }
}

/** The records of a CSV/TSV file, read as a stream of `chunkSize`-byte chunks. */
export async function* csvRecords(
  path: string,
  delimiter: string,
  o: TextStreamOptions = {},
): AsyncGenerator<CsvRecord> {
  const tokenizer = new CsvTokenizer(path, delimiter);
  const stream = createReadStream(path, {
    encoding: 'utf8',
    highWaterMark: o.chunkSize ?? DEFAULT_CHUNK_SIZE,
  });
  for await (const chunk of stream) {
    const records = tokenizer.push(chunk as string);
    o.onChunk?.((chunk as string).length, tokenizer.carried);
    yield* records;
  }
  yield* tokenizer.end();
}
