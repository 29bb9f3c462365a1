import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface FileHash {
  sha256: string;
  md5: string;
  bytes: number;
}

/** sha256 and md5 of a file on disk, read once in 1 MiB chunks (files may be larger than memory). */
export async function hashFile(path: string): Promise<FileHash> {
  const s = createHash('sha256');
  const m = createHash('md5');
  let bytes = 0;
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) {
    s.update(c as Buffer);
    m.update(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { sha256: s.digest('hex'), md5: m.digest('hex'), bytes };
}
