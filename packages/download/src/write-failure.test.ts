import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { downloadVerified } from './download';
import type { DownloadError } from './errors';

// The disk fills up on demand: for the next file opened for writing whose path contains
// `failOn.part`, the first write lands half its bytes and then fails with `failOn.code`, as a full
// disk (ENOSPC) would; `failOn.atOpen` makes the open itself fail (a read-only folder). Injected
// rather than set up with a small file system or chmod, which does not stop a test running as root.
const failOn: { part?: string; code?: string; atOpen?: boolean } = {};
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const open = async (path: string, flags?: string, mode?: number): Promise<FileHandle> => {
    if (!failOn.part || !flags || !/[wa]/.test(flags) || !String(path).includes(failOn.part))
      return real.promises.open(path, flags, mode);
    const code = failOn.code ?? 'ENOSPC';
    const failure = Object.assign(new Error(`${code}: simulated, write`), { code });
    failOn.part = undefined;
    if (failOn.atOpen) throw failure;
    const handle = await real.promises.open(path, flags, mode);
    const write = handle.write.bind(handle) as (b: Uint8Array) => Promise<unknown>;
    let first = true;
    return Object.assign(handle, {
      write: async (chunk: Uint8Array) => {
        if (!first) throw failure;
        first = false;
        await write(chunk.subarray(0, chunk.length >> 1));
        throw failure;
      },
    });
  };
  const promises = { ...real.promises, open };
  return { ...real, promises, default: { ...real, promises } };
});

const body = randomBytes(300_000);
const sha256 = createHash('sha256').update(body).digest('hex');
let dir: string;
let base: string;
let close: () => Promise<void>;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'attnzoo-download-full-'));
  const { serveFiles } = await import('./testing/server');
  const srv = await serveFiles({ 'f.bin': body });
  base = srv.url;
  close = srv.close;
});
afterAll(async () => {
  await close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('a cache write that fails part-way', () => {
  it('disk full: a write error at once (no other mirror), the bytes so far kept, the next run resumes', async () => {
    const dest = join(dir, 'a', 'f.bin');
    Object.assign(failOn, { part: 'f.bin.partial', code: 'ENOSPC', atOpen: false });
    const urls = [`${base}f.bin`, `${base}f.bin?mirror`];
    const error = (await downloadVerified({ urls, dest, sha256 }).catch((e) => e)) as DownloadError;
    expect(error).toMatchObject({
      kind: 'write',
      path: expect.stringMatching(/f\.bin\.partial-\d+-[0-9a-f]{8}$/),
    });
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(readdirSync(join(dir, 'a'))).toEqual(['f.bin.partial']);
    expect(readFileSync(join(dir, 'a', 'f.bin.partial')).length).toBeGreaterThan(0);
    const resumedFrom: number[] = [];
    await downloadVerified({ urls, dest, sha256, onProgress: (p) => resumedFrom.push(p.resumedFrom) });
    expect(resumedFrom[0]).toBeGreaterThan(0);
    expect(readFileSync(dest).equals(body)).toBe(true);
  });

  it('a folder that refuses the file: a write error naming it, and nothing left behind', async () => {
    const dest = join(dir, 'b', 'f.bin');
    Object.assign(failOn, { part: 'f.bin.partial', code: 'EACCES', atOpen: true });
    await expect(downloadVerified({ urls: [`${base}f.bin`], dest, sha256 })).rejects.toMatchObject({
      kind: 'write',
      message: expect.stringMatching(
        /^cannot write .*f\.bin\.partial-\d+-[0-9a-f]+ \(EACCES: simulated, write\)$/,
      ),
    });
    expect(readdirSync(join(dir, 'b'))).toEqual([]);
    await downloadVerified({ urls: [`${base}f.bin`], dest, sha256 });
    expect(readdirSync(join(dir, 'b'))).toEqual(['f.bin']);
  });
});
