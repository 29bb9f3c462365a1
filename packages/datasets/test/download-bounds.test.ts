import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_DATASET_LIMITS, downloadFile, setDatasetLimits } from '../src/node';
import { redirectRefusal } from '../src/node/download';
import { tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let server: Server | undefined;

/** A loopback server: /announce announces 10 MB, /endless streams without a length until the client hangs up. */
async function serve(): Promise<string> {
  server = createServer((req, res) => {
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
  it('https may not be traded for plain http, except to this machine', () => {
    const from = new URL('https://example.org/a.tar.gz');
    expect(redirectRefusal(from, new URL('http://mirror.example.org/a.tar.gz'))?.message).toMatch(
      /redirected to plain-http http:\/\/mirror\.example\.org\/a\.tar\.gz: refusing the downgrade/,
    );
    expect(redirectRefusal(from, new URL('https://mirror.example.org/a.tar.gz'))).toBeUndefined();
    expect(redirectRefusal(from, new URL('http://127.0.0.1:8080/a.tar.gz'))).toBeUndefined();
    expect(redirectRefusal(new URL('http://example.org/'), new URL('http://example.net/'))).toBeUndefined();
  });
});
