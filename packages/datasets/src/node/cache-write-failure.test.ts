import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { downloadFile } from '../node';
import { tempDir } from '../testing/helpers';

// The next file opened for writing on a path containing `failOn.part` fails at its first write,
// as on a full disk (ENOSPC): injected, since a test running as root cannot make a folder read-only
// or small. (What the shared downloader keeps and resumes after such a failure is tested in
// @attnzoo/download; this test covers this package's error.)
const failOn: { part?: string } = {};
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const open = async (path: string, flags?: string, mode?: number) => {
    const handle = await real.promises.open(path, flags, mode);
    if (!failOn.part || !String(path).includes(failOn.part)) return handle;
    failOn.part = undefined;
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    return Object.assign(handle, { write: () => Promise.reject(enospc) });
  };
  const promises = { ...real.promises, open };
  return { ...real, promises, default: { ...real, promises } };
});

const files = { 'a.bin': randomBytes(50_000), 'b.bin': randomBytes(300_000) };
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
let tmp: ReturnType<typeof tempDir>;
let server: Server;
let base: string;

beforeAll(async () => {
  tmp = tempDir();
  server = createServer((req, res) => {
    const body = files[(req.url ?? '').slice(1) as keyof typeof files];
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    res.writeHead(m ? 206 : 200, {
      'content-length': String(body.length - start),
      ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  tmp.cleanup();
});

describe('a cache write that fails part-way', () => {
  it('disk full: a WRITE_FAILED error with the fix, cached files untouched, the next run completes', async () => {
    const folder = join(tmp.dir, 'cache');
    const a = join(folder, 'a.bin');
    const b = join(folder, 'b.bin');
    await downloadFile([`${base}/a.bin`], a, { sha256: sha(files['a.bin']), progressBar: false });
    failOn.part = 'b.bin.part';
    const urls = [`${base}/b.bin`, `${base}/b.bin?mirror`];
    await expect(
      downloadFile(urls, b, { sha256: sha(files['b.bin']), progressBar: false }),
    ).rejects.toMatchObject({
      code: 'WRITE_FAILED',
      message: expect.stringMatching(
        /cannot write .*b\.bin\.part-\d+-[0-9a-f]+ \(ENOSPC: no space left on device, write\): free disk space or point ATTNZOO_CACHE \(cacheDir\) at another folder, then run again/,
      ),
    });
    expect(sha(readFileSync(a))).toBe(sha(files['a.bin']));
    expect(existsSync(b)).toBe(false);
    expect(readdirSync(folder).sort()).toEqual(['a.bin', 'a.bin.sha256', 'b.bin.part']);
    await downloadFile(urls, b, { sha256: sha(files['b.bin']), progressBar: false });
    expect(sha(readFileSync(b))).toBe(sha(files['b.bin']));
  });
});
