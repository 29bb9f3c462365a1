import { DatasetError } from '../errors';

/** A chunk source: an async iterable of byte chunks (a Node stream, a fetch body reader, or an array). */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export async function* toAsync(src: ByteSource): AsyncGenerator<Uint8Array> {
  for await (const c of src as AsyncIterable<Uint8Array>) yield c;
}

export function concatBytes(chunks: Uint8Array[], total?: number): Uint8Array {
  const n = total ?? chunks.reduce((s, c) => s + c.length, 0);
  if (chunks.length === 1 && chunks[0].length === n) return chunks[0];
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

export async function readAll(src: ByteSource): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of src as AsyncIterable<Uint8Array>) chunks.push(c);
  return concatBytes(chunks);
}

/** Reads exact byte counts from a chunk stream, keeping at most one pending chunk. */
export class ByteReader {
  private it: AsyncIterator<Uint8Array>;
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private done = false;
  /** Total bytes consumed so far. */
  offset = 0;

  constructor(src: ByteSource) {
    this.it = toAsync(src)[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    while (this.pos >= this.buf.length) {
      if (this.done) return false;
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return false;
      }
      this.buf = r.value;
      this.pos = 0;
    }
    return true;
  }

  /** Reads exactly n bytes; returns null at a clean end of stream (0 bytes read), throws TRUNCATED on a partial read. */
  async readExact(n: number, what: string): Promise<Uint8Array | null> {
    const parts: Uint8Array[] = [];
    let got = 0;
    while (got < n) {
      if (!(await this.fill())) {
        if (got === 0) return null;
        throw new DatasetError(
          'TRUNCATED',
          `${what}: the stream ended after ${got} of ${n} bytes; the file is truncated, download it again`,
        );
      }
      const take = Math.min(n - got, this.buf.length - this.pos);
      parts.push(this.buf.subarray(this.pos, this.pos + take));
      this.pos += take;
      got += take;
    }
    this.offset += n;
    return concatBytes(parts, n);
  }

  /** Yields the next n bytes as chunks without joining them; throws TRUNCATED if the stream ends early. */
  async *chunks(n: number, what: string): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) {
        throw new DatasetError(
          'TRUNCATED',
          `${what}: the stream ended ${left} bytes early; the file is truncated, download it again`,
        );
      }
      const take = Math.min(left, this.buf.length - this.pos);
      const c = this.buf.subarray(this.pos, this.pos + take);
      this.pos += take;
      left -= take;
      this.offset += take;
      yield c;
    }
  }

  async skip(n: number, what: string): Promise<void> {
    for await (const _ of this.chunks(n, what)) {
      // discard
    }
  }

  /** Stops the underlying source (closes a file stream early). */
  async close(): Promise<void> {
    this.done = true;
    await this.it.return?.();
  }
}

/** Splits a byte stream into text lines (\n or \r\n) with a streaming UTF-8 decoder: only one line is held at a time. */
export async function* lines(src: ByteSource): AsyncGenerator<string> {
  const dec = new TextDecoder('utf-8');
  let rest = '';
  for await (const chunk of src as AsyncIterable<Uint8Array>) {
    const text = rest + dec.decode(chunk, { stream: true });
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield text.slice(start, end);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += dec.decode();
  if (rest.length > 0) yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}
