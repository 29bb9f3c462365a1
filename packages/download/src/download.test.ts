import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DownloadProgress, downloadVerified } from './download';
import { DownloadError } from './errors';
import { listen, type Served, serveFiles } from './testing/server';

const body = randomBytes(200_000);
const sha256 = createHash('sha256').update(body).digest('hex');
const md5 = createHash('md5').update(body).digest('hex');

let dir: string;
let srv: Served | undefined;
beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'attnzoo-download-'));
});
afterEach(async () => {
  await srv?.close();
  srv = undefined;
  await fs.rm(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<DownloadError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DownloadError);
  return error as DownloadError;
}

describe('downloadVerified', () => {
  it('downloads, reports progress, and puts the file in place only once verified', async () => {
    srv = await serveFiles({ 'f.bin': body });
    const dest = join(dir, 'a', 'f.bin');
    const seen: DownloadProgress[] = [];
    const hash = await downloadVerified({
      urls: [`${srv.url}f.bin`],
      dest,
      sha256,
      onProgress: (p) => seen.push(p),
    });
    expect(hash).toEqual({ sha256, md5, bytes: body.length });
    expect(readFileSync(dest).equals(body)).toBe(true);
    expect(readdirSync(join(dir, 'a'))).toEqual(['f.bin']);
    expect(seen.at(-1)).toMatchObject({ received: body.length, total: body.length, resumedFrom: 0 });
  });

  it('a connection dropped mid-file is resumed with a Range request in the same call', async () => {
    srv = await serveFiles({ 'f.bin': body }, { dropFirstAt: 70_000 });
    const dest = join(dir, 'f.bin');
    await downloadVerified({ urls: [`${srv.url}f.bin`], dest, size: body.length, md5 });
    expect(srv.requests.map((r) => r.range)).toEqual([undefined, 'bytes=70000-']);
    expect(readFileSync(dest).equals(body)).toBe(true);
  });

  it('with no retries left the bytes so far stay as the leftover, and the next run resumes from them', async () => {
    srv = await serveFiles({ 'f.bin': body }, { dropFirstAt: 50_000 });
    const dest = join(dir, 'f.bin');
    const e = await failure(downloadVerified({ urls: [`${srv.url}f.bin`], dest, sha256, retries: 0 }));
    expect(e.kind).toBe('failed');
    expect(e.failures?.map((f) => f.kind)).toEqual(['truncated']);
    expect(e.message).toMatch(/connection (closed|dropped) at 50000 of 200000 bytes/);
    expect(readdirSync(dir)).toEqual(['f.bin.partial']);
    const resumed: number[] = [];
    await downloadVerified({
      urls: [`${srv.url}f.bin`],
      dest,
      sha256,
      onProgress: (p) => resumed.push(p.resumedFrom),
    });
    expect(resumed[0]).toBe(50_000);
    expect(srv.requests.at(-1)?.range).toBe('bytes=50000-');
    expect(readdirSync(dir)).toEqual(['f.bin']);
  });

  it('a leftover longer than the file is dropped, a complete one is only checked', async () => {
    srv = await serveFiles({ 'f.bin': body });
    const dest = join(dir, 'f.bin');
    writeFileSync(`${dest}.partial`, Buffer.concat([body, body]));
    await downloadVerified({ urls: [`${srv.url}f.bin`], dest, size: body.length, sha256 });
    expect(srv.requests).toHaveLength(1);
    await fs.rm(dest);
    writeFileSync(`${dest}.partial`, body);
    await downloadVerified({ urls: [`${srv.url}f.bin`], dest, size: body.length, sha256 });
    expect(srv.requests).toHaveLength(1);
    expect(readFileSync(dest).equals(body)).toBe(true);
  });

  it('a server that refuses to resume (416) is asked again for the whole file', async () => {
    srv = await serveFiles({ 'f.bin': body });
    const dest = join(dir, 'f.bin');
    writeFileSync(`${dest}.partial`, Buffer.concat([body, Buffer.from('x')]));
    await downloadVerified({ urls: [`${srv.url}f.bin`], dest, sha256 });
    expect(srv.requests.map((r) => r.range)).toEqual([`bytes=${body.length + 1}-`, undefined]);
    expect(readFileSync(dest).equals(body)).toBe(true);
  });

  it('a checksum or size mismatch removes the file; nothing is put in place', async () => {
    srv = await serveFiles({ 'f.bin': body });
    const dest = join(dir, 'f.bin');
    const e = await failure(downloadVerified({ urls: [`${srv.url}f.bin`], dest, sha256: 'a'.repeat(64) }));
    expect(e).toMatchObject({
      kind: 'checksum',
      algorithm: 'sha256',
      expected: 'a'.repeat(64),
      actual: sha256,
    });
    const m = await failure(downloadVerified({ urls: [`${srv.url}f.bin`], dest, md5: 'b'.repeat(32) }));
    expect(m).toMatchObject({ kind: 'checksum', algorithm: 'md5', actual: md5 });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('mirrors are tried in order; when all fail, every attempt is listed', async () => {
    srv = await serveFiles({ 'f.bin': body });
    const dest = join(dir, 'f.bin');
    await downloadVerified({ urls: [`${srv.url}missing`, `${srv.url}f.bin`], dest, sha256 });
    expect(srv.requests.map((r) => r.path)).toEqual(['missing', 'f.bin']);
    const e = await failure(
      downloadVerified({
        urls: [`${srv.url}gone`, 'http://127.0.0.1:1/f.bin'],
        dest: join(dir, 'g.bin'),
        retries: 0,
      }),
    );
    expect(e.failures?.map((f) => [f.kind, f.status])).toEqual([
      ['http', 404],
      ['network', undefined],
    ]);
    expect(e.message).toMatch(/GET .*gone answered HTTP 404; GET http:\/\/127\.0\.0\.1:1\/f\.bin failed/);
  });

  it('a busy server (5xx, 429) is asked again; other errors move on at once', async () => {
    let calls = 0;
    srv = await listen((_req, res) => {
      calls++;
      if (calls < 3) return void res.writeHead(calls === 1 ? 503 : 429).end();
      res.writeHead(200, { 'content-length': String(body.length) }).end(body);
    });
    await downloadVerified({ urls: [`${srv.url}f.bin`], dest: join(dir, 'f.bin'), sha256 });
    expect(calls).toBe(3);
  });

  it('a server that goes quiet is abandoned after the idle timeout and resumed', async () => {
    let calls = 0;
    srv = await listen((req, res) => {
      calls++;
      const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      const headers = { 'content-length': String(body.length - start) };
      if (start)
        res.writeHead(206, {
          ...headers,
          'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
        });
      else res.writeHead(200, headers);
      if (calls === 1)
        res.write(body.subarray(0, 1000)); // then silence
      else res.end(body.subarray(start));
    });
    const dest = join(dir, 'f.bin');
    await downloadVerified({ urls: [`${srv.url}f.bin`], dest, sha256, idleTimeoutMs: 200 });
    expect(srv.requests.map((r) => r.range)).toEqual([undefined, 'bytes=1000-']);
    expect(existsSync(dest)).toBe(true);
  });
});

describe('size limits', () => {
  it('a body announced over the limit is refused before any byte is kept', async () => {
    srv = await listen((_req, res) => void res.writeHead(200, { 'content-length': '10000000' }).end());
    const dest = join(dir, 'a', 'f.bin');
    const e = await failure(downloadVerified({ urls: [`${srv.url}f.bin`], dest, maxBytes: 1000 }));
    expect(e).toMatchObject({ kind: 'too-large', announced: true, received: 10_000_000, expected: 1000 });
    expect(readdirSync(join(dir, 'a'))).toEqual([]);
  });

  it('an endless body without a length is cut off at the limit, leaving nothing behind', async () => {
    srv = await listen((_req, res) => {
      res.writeHead(200);
      const chunk = new Uint8Array(64 * 1024);
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) {}
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const e = await failure(
      downloadVerified({ urls: [`${srv.url}f.bin`], dest: join(dir, 'f.bin'), maxBytes: 1 << 20 }),
    );
    expect(e).toMatchObject({ kind: 'too-large', announced: false });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('with a known size, a longer body is cut off at that size', async () => {
    srv = await serveFiles({ 'f.bin': body });
    const e = await failure(
      downloadVerified({ urls: [`${srv.url}f.bin`], dest: join(dir, 'f.bin'), size: 1000 }),
    );
    expect(e).toMatchObject({ kind: 'too-large', expected: 1000 });
    expect(readdirSync(dir)).toEqual([]);
  });
});
