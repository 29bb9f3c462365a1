import { Inflate } from 'fflate';
import { DatasetError } from '../errors';
import { checkDeclaredSize } from '../limits';
import { type ArchiveEntry, safeEntryPath } from './tar';

interface CentralEntry {
  path: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function listZip(zip: Uint8Array, what: string): CentralEntry[] {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
    if (v.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    const isZip = zip.length >= 4 && v.getUint32(0, true) === 0x04034b50;
    throw new DatasetError(
      isZip ? 'TRUNCATED' : 'BAD_MAGIC',
      isZip
        ? `${what}: zip central directory not found; the archive is truncated, download it again`
        : `${what}: not a zip archive (no PK signature); is this the right file?`,
    );
  }
  const count = v.getUint16(eocd + 10, true);
  let p = v.getUint32(eocd + 16, true);
  const dec = new TextDecoder();
  const out: CentralEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (p + 46 > zip.length || v.getUint32(p, true) !== 0x02014b50) {
      throw new DatasetError(
        'CORRUPT',
        `${what}: zip central directory is corrupt; download the archive again`,
      );
    }
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    const raw = dec.decode(zip.subarray(p + 46, p + 46 + nameLen));
    const path = safeEntryPath(raw, what);
    if (!raw.endsWith('/')) {
      const e = {
        path,
        method: v.getUint16(p + 10, true),
        compressedSize: v.getUint32(p + 20, true),
        size: v.getUint32(p + 24, true),
        localOffset: v.getUint32(p + 42, true),
      };
      checkSizes(e, what);
      out.push(e);
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

// Deflate cannot expand data more than about 1032:1, so a larger declared size is a lie told to make us allocate.
const MAX_DEFLATE_RATIO = 1032;

/** Refuses declared sizes the compressed bytes cannot hold, before anything is allocated for them. */
function checkSizes(e: CentralEntry, what: string): void {
  const canHold = e.method === 0 ? e.compressedSize : e.compressedSize * MAX_DEFLATE_RATIO + 1024;
  if (e.size > canHold) {
    throw new DatasetError(
      'CORRUPT',
      `${what}: ${e.path} declares ${e.size} bytes but its ${e.compressedSize} ${e.method === 0 ? 'stored' : 'compressed'} bytes can hold at most ${canHold}; the archive is corrupt, download it again`,
    );
  }
  checkDeclaredSize(`${what}: ${e.path}`, e.size, 'maxFileBytes');
}

/**
 * Lists a zip archive held in memory (compressed bytes only) and yields its files; each body is
 * inflated incrementally in 64 KiB steps, so a large text file is never held decompressed in full.
 */
export function* readZip(zip: Uint8Array, what = 'zip archive'): Generator<ArchiveEntry> {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  for (const e of listZip(zip, what)) {
    const body = async function* (): AsyncGenerator<Uint8Array> {
      const lo = e.localOffset;
      if (lo + 30 > zip.length || v.getUint32(lo, true) !== 0x04034b50) {
        throw new DatasetError(
          'CORRUPT',
          `${what}: bad local header for ${e.path}; download the archive again`,
        );
      }
      const start = lo + 30 + v.getUint16(lo + 26, true) + v.getUint16(lo + 28, true);
      if (start + e.compressedSize > zip.length) {
        throw new DatasetError(
          'TRUNCATED',
          `${what}: ${e.path} runs past the end of the archive; it is truncated, download it again`,
        );
      }
      const data = zip.subarray(start, start + e.compressedSize);
      if (e.method === 0) {
        if (data.length !== e.size) {
          throw new DatasetError(
            'CORRUPT',
            `${what}: ${e.path} is stored with ${data.length} bytes, the directory says ${e.size}; download the archive again`,
          );
        }
        yield data;
        return;
      }
      if (e.method !== 8) {
        throw new DatasetError(
          'CORRUPT',
          `${what}: ${e.path} uses zip compression method ${e.method}; only stored and deflate are supported`,
        );
      }
      const out: Uint8Array[] = [];
      let produced = 0;
      const inf = new Inflate((c) => {
        out.push(c);
        produced += c.length;
      });
      // A body that inflates past its declared size is stopped there: no zip bomb gets to run on.
      const tooLong = () =>
        new DatasetError(
          'CORRUPT',
          `${what}: ${e.path} inflates to more than the ${e.size} bytes the directory says; download the archive again`,
        );
      const step = 1 << 16;
      try {
        for (let o = 0; o < data.length; o += step) {
          inf.push(data.subarray(o, Math.min(data.length, o + step)), o + step >= data.length);
          if (produced > e.size) throw tooLong();
          while (out.length) yield out.shift()!;
        }
      } catch (err) {
        if (err instanceof DatasetError) throw err;
        throw new DatasetError(
          'CORRUPT',
          `${what}: ${e.path} does not inflate (${(err as Error).message}); download the archive again`,
          {
            cause: err,
          },
        );
      }
      if (produced !== e.size) {
        throw new DatasetError(
          'CORRUPT',
          `${what}: ${e.path} inflated to ${produced} bytes, the directory says ${e.size}; download the archive again`,
        );
      }
    };
    let used = false;
    const entry: ArchiveEntry = {
      path: e.path,
      size: e.size,
      body: () => {
        if (used) throw new DatasetError('BAD_ARGUMENT', `${what}: entry ${e.path} was already read`);
        used = true;
        return body();
      },
      bytes: async () => {
        const out = new Uint8Array(e.size);
        let o = 0;
        for await (const c of entry.body()) {
          out.set(c, o);
          o += c.length;
        }
        return out;
      },
    };
    yield entry;
  }
}
