import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachePath, type DownloadProgress, downloadFile, loadDataset, resolveCacheDir } from '../node';
import { tempDir } from '../testing/helpers';

interface Served {
  url: string;
  requests: { path: string; range?: string }[];
  close: () => Promise<void>;
}

/** A loopback-only file server with Range support; `dropFirstAt` cuts the first response mid-file. */
async function serve(
  files: Record<string, Uint8Array>,
  opts: { dropFirstAt?: number } = {},
): Promise<Served> {
  const requests: Served['requests'] = [];
  let dropped = false;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').slice(1);
    requests.push({ path, range: req.headers.range });
    const body = files[path];
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m) start = Number(m[1]);
    if (start >= body.length && m) {
      res.writeHead(416).end();
      return;
    }
    const headers = {
      'content-length': String(body.length - start),
      'content-type': 'application/octet-stream',
    };
    if (m)
      res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
    else res.writeHead(200, headers);
    if (opts.dropFirstAt !== undefined && !dropped) {
      dropped = true;
      res.write(body.subarray(start, opts.dropFirstAt), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let tmp: ReturnType<typeof tempDir>;
let srv: Served | undefined;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  await srv?.close();
  srv = undefined;
  tmp.cleanup();
});

describe('downloads against a loopback server', () => {
  it('downloads, reports progress, renames only after the checksum matches', async () => {
    const body = randomBytes(300_000);
    srv = await serve({ 'f.bin': body });
    const dest = join(tmp.dir, 'cache', 'f.bin');
    const seen: DownloadProgress[] = [];
    const r = await downloadFile([`${srv.url}f.bin`], dest, {
      sha256: sha256(body),
      onProgress: (p) => seen.push(p),
      progressBar: false,
    });
    expect(r.sha256).toBe(sha256(body));
    expect(readFileSync(dest).equals(body)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ received: 300_000, total: 300_000, resumedFrom: 0 });
    expect(readdirSync(join(tmp.dir, 'cache')).sort()).toEqual(['f.bin', 'f.bin.sha256']);
  });

  it('resumes with an HTTP Range request after a mid-file disconnect', async () => {
    const body = randomBytes(400_000);
    srv = await serve({ 'f.bin': body }, { dropFirstAt: 150_000 });
    const dest = join(tmp.dir, 'f.bin');
    const seen: DownloadProgress[] = [];
    await downloadFile([`${srv.url}f.bin`], dest, {
      sha256: sha256(body),
      onProgress: (p) => seen.push(p),
      progressBar: false,
    });
    expect(readFileSync(dest).equals(body)).toBe(true);
    expect(srv.requests).toEqual([
      { path: 'f.bin', range: undefined },
      { path: 'f.bin', range: 'bytes=150000-' },
    ]);
    expect(seen.at(-1)!.resumedFrom).toBe(150_000);
  });

  it('continues a .part file left by an earlier run', async () => {
    const body = randomBytes(50_000);
    srv = await serve({ 'f.bin': body });
    const dest = join(tmp.dir, 'f.bin');
    writeFileSync(`${dest}.part`, body.subarray(0, 20_000));
    await downloadFile([`${srv.url}f.bin`], dest, { sha256: sha256(body), progressBar: false });
    expect(srv.requests[0].range).toBe('bytes=20000-');
    expect(readFileSync(dest).equals(body)).toBe(true);
  });

  it('continues the partial file of a process that was killed mid-download', async () => {
    const body = randomBytes(50_000);
    srv = await serve({ 'f.bin': body });
    const dest = join(tmp.dir, 'f.bin');
    // the pid of a process that has exited: its own partial file is adopted as the .part leftover
    const dead = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout,
    );
    writeFileSync(`${dest}.part-${dead}-0123abcd`, body.subarray(0, 30_000));
    await downloadFile([`${srv.url}f.bin`], dest, { sha256: sha256(body), progressBar: false });
    expect(srv.requests[0].range).toBe('bytes=30000-');
    expect(readdirSync(tmp.dir).sort()).toEqual(['f.bin', 'f.bin.sha256']);
  });

  it('checksum mismatch: a clear error and nothing left in the cache', async () => {
    const body = randomBytes(10_000);
    srv = await serve({ 'cifar-100-binary.tar.gz': body });
    const cacheDir = join(tmp.dir, 'cache');
    const err = await loadDataset('cifar-100', {
      cacheDir,
      urls: { 'cifar-100-binary.tar.gz': [`${srv.url}cifar-100-binary.tar.gz`] },
      progressBar: false,
    }).catch((e) => e);
    expect(err.code).toBe('CHECKSUM_MISMATCH');
    expect(err.message).toContain(
      'checksum mismatch for cifar-100-binary.tar.gz: expected md5 03b5dce01913d631647c71ecec9e9cb8, got ',
    );
    expect(err.message).toContain('the file was removed from the cache, download again or pass --source');
    expect(readdirSync(join(cacheDir, 'datasets', 'cifar-100'))).toEqual([]);
  });

  it('download -> parse -> offline reuse; offline with an empty cache names what is missing and never connects', async () => {
    const zip = zipSync({ 'spa.txt': new TextEncoder().encode('Go.\tVe.\nHi.\tHola.\nRun!\t¡Corre!\n') });
    srv = await serve({ 'spa-eng.zip': zip });
    const urls = { 'spa-eng.zip': [`${srv.url}spa-eng.zip`] };
    const emptyCache = join(tmp.dir, 'empty');
    const err = await loadDataset('anki-spa-eng', { cacheDir: emptyCache, offline: true, urls }).catch(
      (e) => e,
    );
    expect(err.code).toBe('OFFLINE_MISSING');
    expect(err.message).toMatch(
      /offline: anki-spa-eng is not in the cache .*missing spa-eng\.zip \(http:\/\/www\.manythings\.org\/anki\/spa-eng\.zip\)/,
    );
    expect(srv.requests).toEqual([]);

    const cacheDir = join(tmp.dir, 'cache');
    const opts = {
      cacheDir,
      urls,
      sha256: { 'spa-eng.zip': sha256(zip) },
      split: 'train' as const,
      validationFraction: 0,
      testFraction: 0,
      progressBar: false,
    };
    const a = await loadDataset('anki-spa-eng', opts);
    expect(a.train!.kind === 'pairs' && a.train!.target).toEqual(['Ve.', 'Hola.', '¡Corre!']);
    expect(srv.requests).toHaveLength(1);
    await srv.close();
    srv = undefined;
    const b = await loadDataset('anki-spa-eng', { ...opts, offline: true });
    expect(b.train!.kind === 'pairs' && b.train!.source).toEqual(['Go.', 'Hi.', 'Run!']);
  });

  it('a corrupt cached file is removed after the parse error', async () => {
    const cacheDir = join(tmp.dir, 'cache');
    const p = cachePath(cacheDir, 'anki-spa-eng', 'spa-eng.zip');
    mkdirSync(join(cacheDir, 'datasets', 'anki-spa-eng'), { recursive: true });
    writeFileSync(p, 'this is not a zip archive at all, just text');
    const err = await loadDataset('anki-spa-eng', { cacheDir, offline: true }).catch((e) => e);
    expect(err.code).toBe('BAD_MAGIC');
    expect(err.message).toMatch(/not a zip archive.*was removed; run again to download it afresh/);
    expect(existsSync(p)).toBe(false);
  });

  it('cache location: cacheDir, $ATTNZOO_CACHE, XDG; never inside node_modules', () => {
    expect(resolveCacheDir(undefined, { ATTNZOO_CACHE: '/tmp/zoo' })).toBe('/tmp/zoo');
    expect(resolveCacheDir(undefined, { XDG_CACHE_HOME: '/tmp/xdg' })).toBe('/tmp/xdg/attnzoo');
    expect(() => resolveCacheDir('/repo/node_modules/.cache/x')).toThrow(
      /inside node_modules; set ATTNZOO_CACHE/,
    );
  });
});
