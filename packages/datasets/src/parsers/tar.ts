import { DatasetError } from '../errors';
import { checkDeclaredSize } from '../limits';
import { ByteReader, type ByteSource, concatBytes } from './bytes';

export interface ArchiveEntry {
  /** Normalised relative path with '/' separators (no leading './'). */
  path: string;
  size: number;
  /** The entry's bytes as chunks; read it (or not) before asking for the next entry. */
  body(): AsyncIterable<Uint8Array>;
  bytes(): Promise<Uint8Array>;
}

const decoder = new TextDecoder('utf-8');

function cstr(b: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return decoder.decode(b.subarray(off, end));
}

function octal(b: Uint8Array, off: number, len: number, what: string): number {
  // GNU base-256 for large sizes
  if (b[off] & 0x80) {
    // 0xff starts a negative number; anything past 2^53 cannot be counted exactly: both are corrupt
    let v = b[off] === 0xff ? Number.POSITIVE_INFINITY : b[off] & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + b[off + i];
    if (!Number.isSafeInteger(v)) {
      throw new DatasetError(
        'CORRUPT',
        `${what}: a tar header holds a negative or impossibly large number; the archive is corrupt, download it again`,
      );
    }
    return v;
  }
  const s = cstr(b, off, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s))
    throw new DatasetError(
      'CORRUPT',
      `${what}: bad octal field "${s}" in a tar header; the archive is corrupt, download it again`,
    );
  return Number.parseInt(s, 8);
}

/**
 * Rejects paths that could escape the data set's folder: absolute paths, drive letters, `..` segments.
 * Returns the normalised path.
 */
export function safeEntryPath(raw: string, what: string): string {
  const p = raw.replace(/\\/g, '/');
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) {
    throw new DatasetError(
      'UNSAFE_PATH',
      `${what}: archive entry "${raw}" has an absolute path; refusing to read an archive that could write outside its folder`,
    );
  }
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) {
    throw new DatasetError(
      'UNSAFE_PATH',
      `${what}: archive entry "${raw}" contains "..": refusing to read an archive that could write outside its folder`,
    );
  }
  return parts.join('/');
}

function parsePax(b: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const s = decoder.decode(b);
  let i = 0;
  while (i < s.length) {
    const sp = s.indexOf(' ', i);
    if (sp < 0) break;
    const len = Number.parseInt(s.slice(i, sp), 10);
    if (!(len > 0)) break;
    const rec = s.slice(sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/**
 * Reads a (ustar / GNU / pax) tar archive as a stream, yielding regular files only. Nothing touches
 * the disk; each entry's body must be consumed before the next entry is requested (unread bodies are skipped).
 * Errors: TRUNCATED (stream ends inside a header or body), CORRUPT (header checksum), UNSAFE_PATH.
 */
export async function* readTar(src: ByteSource, what = 'tar archive'): AsyncGenerator<ArchiveEntry> {
  const r = new ByteReader(src);
  let longName: string | undefined;
  let paxPath: string | undefined;
  let sawEnd = false;
  let entries = 0;
  try {
    for (;;) {
      const h = await r.readExact(512, what);
      if (h === null) break;
      if (h.every((x) => x === 0)) {
        sawEnd = true;
        break;
      }
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
      const stored = octal(h, 148, 8, what);
      if (stored !== sum) {
        throw new DatasetError(
          'CORRUPT',
          `${what}: tar header checksum mismatch at byte ${r.offset - 512} (stored ${stored}, computed ${sum}); the archive is corrupt or not a tar file, download it again`,
        );
      }
      const size = octal(h, 124, 12, what);
      const type = String.fromCharCode(h[156] || 48);
      const padded = Math.ceil(size / 512) * 512;
      if (type === 'L' || type === 'x' || type === 'g') {
        // metadata records are read whole: their declared size is checked before reading
        checkDeclaredSize(
          `${what}: tar metadata record at byte ${r.offset - 512}`,
          size,
          'maxTarMetadataBytes',
        );
        const data = (await r.readExact(padded, what)) ?? new Uint8Array(0);
        if (padded > 0 && data.length === 0)
          throw new DatasetError('TRUNCATED', `${what}: truncated tar archive`);
        if (type === 'L') longName = cstr(data, 0, size);
        else if (type === 'x') paxPath = parsePax(data.subarray(0, size)).path ?? paxPath;
        continue;
      }
      let name = cstr(h, 0, 100);
      const magic = cstr(h, 257, 6);
      if (magic.startsWith('ustar')) {
        const prefix = cstr(h, 345, 155);
        if (prefix && magic === 'ustar') name = `${prefix}/${name}`;
      }
      if (paxPath !== undefined) name = paxPath;
      else if (longName !== undefined) name = longName;
      paxPath = undefined;
      longName = undefined;
      const path = safeEntryPath(name, what);
      if (type === '1' || type === '2') {
        // Hard and symbolic links: also check the link target cannot escape.
        safeEntryPath(cstr(h, 157, 100), what);
      }
      if (type !== '0' && type !== '7') {
        await r.skip(padded, what);
        continue;
      }
      entries++;
      let consumed = false;
      let remaining = size;
      const entry: ArchiveEntry = {
        path,
        size,
        body: () => {
          if (consumed) throw new DatasetError('BAD_ARGUMENT', `${what}: entry ${path} was already read`);
          consumed = true;
          return (async function* () {
            for await (const c of r.chunks(size, `${what} (${path})`)) {
              remaining -= c.length;
              yield c;
            }
          })();
        },
        bytes: async () => {
          checkDeclaredSize(`${what} (${path})`, size, 'maxFileBytes');
          const parts: Uint8Array[] = [];
          for await (const c of entry.body()) parts.push(c);
          return concatBytes(parts, size);
        },
      };
      yield entry;
      // skip whatever the consumer left of the body, then the padding
      await r.skip(remaining + padded - size, `${what} (${path})`);
    }
    if (!sawEnd) {
      throw new DatasetError(
        'TRUNCATED',
        `${what}: the tar archive ends without its end-of-archive marker after ${entries} files; it is truncated, download it again`,
      );
    }
  } finally {
    await r.close();
  }
}
