import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_DATASET_LIMITS, downloadFile, setDatasetLimits } from '../node';
import { tempDir } from '../testing/helpers';

let tmp: ReturnType<typeof tempDir>;
let server: Server | undefined;

/**
 * A loopback server: /announce announces 10 MB, /endless streams without a length until the client
 * hangs up, /hop/<n> redirects n times before answering "ok".
 */
async function serve(): Promise<string> {
  server = createServer((req, res) => {
    const hop = /^\/hop\/(\d+)$/.exec(req.url ?? '');
    if (hop) {
      const n = Number(hop[1]);
      if (n === 0) res.writeHead(200, { 'content-length': '2' }).end('ok');
      else res.writeHead(302, { location: `/hop/${n - 1}` }).end();
      return;
    }
    if (req.url === '/announce') {
      res.writeHead(200, { 'content-length': String(10_000_000) });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = new Uint8Array(64 * 1024);
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) {}
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  setDatasetLimits(DEFAULT_DATASET_LIMITS);
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  tmp.cleanup();
});

describe('download size limits', () => {
  it('a server announcing more than the registry size is refused before any byte is kept', async () => {
    const base = await serve();
    const dest = join(tmp.dir, 'a', 'f.bin');
    await expect(
      downloadFile([`${base}/announce`], dest, { size: 1000, progressBar: false }),
    ).rejects.toMatchObject({
      code: 'TOO_LARGE',
      message: expect.stringMatching(/announces 10000000 bytes, over the 1000 bytes expected for f\.bin/),
    });
    expect(readdirSync(dirname(dest))).toEqual([]);
  });

  it('an endless body without a length stops at maxDownloadBytes, leaving nothing behind', async () => {
    const base = await serve();
    setDatasetLimits({ maxDownloadBytes: 1 << 20 });
    const dest = join(tmp.dir, 'b', 'f.bin');
    await expect(downloadFile([`${base}/endless`], dest, { progressBar: false })).rejects.toMatchObject({
      code: 'TOO_LARGE',
      message: expect.stringContaining('sent'),
    });
    expect(existsSync(dest)).toBe(false);
    expect(readdirSync(dirname(dest))).toEqual([]);
  });
});

describe('redirects', () => {
  it('at most 5 are followed', async () => {
    const base = await serve();
    const dest = join(tmp.dir, 'r', 'f.bin');
    await downloadFile([`${base}/hop/5`], dest, { progressBar: false });
    expect(readFileSync(dest, 'utf8')).toBe('ok');
    await expect(
      downloadFile([`${base}/hop/6`], join(tmp.dir, 'r', 'g.bin'), { progressBar: false }),
    ).rejects.toMatchObject({
      code: 'DOWNLOAD_FAILED',
      message: expect.stringContaining('too many redirects'),
    });
  });
});
