import { Gunzip, gunzipSync } from 'fflate';
import { DatasetError } from '../errors';
import type { ByteSource } from './bytes';

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

function gzipError(what: string, e: unknown): DatasetError {
  if (e instanceof DatasetError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const truncated = /unexpected EOF|end of file/i.test(msg);
  return new DatasetError(
    truncated ? 'TRUNCATED' : 'CORRUPT',
    `${what}: ${truncated ? 'gzip stream is truncated' : `gzip data is corrupt (${msg})`}; remove the file and download it again`,
    { cause: e },
  );
}

/** Gunzips a whole buffer (pure JS, browser-safe). */
export function gunzipBytes(b: Uint8Array, what = 'gzip data'): Uint8Array {
  try {
    return gunzipSync(b);
  } catch (e) {
    throw gzipError(what, e);
  }
}

/** Streaming gunzip (pure JS, browser-safe): yields decompressed chunks as they come. */
export async function* gunzipStream(src: ByteSource, what = 'gzip data'): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  const g = new Gunzip((chunk) => {
    out.push(chunk);
  });
  let sawAny = false;
  try {
    for await (const c of src as AsyncIterable<Uint8Array>) {
      if (c.length === 0) continue;
      if (!sawAny && c.length >= 2 && !isGzip(c)) {
        throw new DatasetError(
          'BAD_MAGIC',
          `${what}: not gzip data (first bytes ${c[0]?.toString(16)} ${c[1]?.toString(16)}, expected 1f 8b)`,
        );
      }
      sawAny = true;
      g.push(c, false);
      while (out.length) yield out.shift()!;
    }
    if (!sawAny) throw new DatasetError('TRUNCATED', `${what}: empty file; remove it and download it again`);
    g.push(new Uint8Array(0), true);
  } catch (e) {
    throw gzipError(what, e);
  }
  while (out.length) yield out.shift()!;
}

/** Gunzips when the stream starts with the gzip magic, passes it through otherwise. */
export async function* maybeGunzip(src: ByteSource, what = 'data'): AsyncGenerator<Uint8Array> {
  const it = (src as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]
    ? (src as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
    : (async function* () {
        yield* src as Iterable<Uint8Array>;
      })();
  let first = await it.next();
  while (!first.done && first.value.length === 0) first = await it.next();
  if (first.done) return;
  const head = first.value;
  async function* rest(): AsyncGenerator<Uint8Array> {
    yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  if (isGzip(head)) yield* gunzipStream(rest(), what);
  else yield* rest();
}
