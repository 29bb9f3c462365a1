import { existsSync, promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPretrained as browserFromPretrained } from './index';
import {
  cacheFolderFor,
  defaultCacheDir,
  fromPretrained,
  PresetError,
  type ProgressEvent,
  registerPreset,
  save,
  unregisterPreset,
} from './node';
import { metadataFor, predict, tinyEncoder, useCpu } from './testing/models';

const SHARD = 'group1-shard1of1.bin';

let root: string;
let presetDir: string;
let server: Server;
let base: string;
let reference: Float32Array;
/** Every request the server saw: path and Range header. */
const requests: { path: string; range?: string }[] = [];
/** Paths under /flaky/ whose first response was already cut off. */
const cut = new Set<string>();

beforeAll(async () => {
  await useCpu();
  root = await fs.mkdtemp(join(tmpdir(), 'attnzoo-hub-dl-'));
  presetDir = join(root, 'served');
  const model = tinyEncoder('super', 16, 2);
  await save(model, presetDir, metadataFor('served'));
  reference = await predict(model);

  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ path: url.pathname, range: req.headers.range });
    const [, mode, ...rest] = url.pathname.split('/');
    const name = rest.at(-1) ?? ''; // preset files are flat; earlier segments only vary the URL
    const file = join(presetDir, name);
    if (mode === 'missing' || name.includes('..') || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    let body = await fs.readFile(file);
    if (mode === 'corrupt' && name === SHARD) {
      body = Buffer.from(body);
      body[body.length >> 1] ^= 0xff;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) start = Number(range[1]);
    const part = body.subarray(start);
    const headers: Record<string, string> = { 'content-length': String(part.length) };
    if (range) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(range ? 206 : 200, headers);
    if (mode === 'flaky' && name === SHARD && !cut.has(url.pathname)) {
      // Send a part of the file, then drop the connection.
      cut.add(url.pathname);
      res.write(part.subarray(0, Math.floor(part.length / 3)), () => {
        setTimeout(() => res.socket?.destroy(), 20);
      });
      return;
    }
    res.end(part);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await fs.rm(root, { recursive: true, force: true });
});

async function caught(promise: Promise<unknown>): Promise<PresetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PresetError);
  return error as PresetError;
}

function freshCache(): Promise<string> {
  return fs.mkdtemp(join(root, 'cache-'));
}

describe('downloads from a local HTTP server', () => {
  it('downloads, verifies, caches, then loads offline without any request', async () => {
    const cacheDir = await freshCache();
    const events: ProgressEvent[] = [];
    const loaded = await fromPretrained(`${base}/ok/`, { cacheDir, progress: (e) => events.push(e) });
    expect(await predict(loaded.model)).toEqual(reference);
    expect(events.some((e) => e.file === SHARD && e.phase === 'verified')).toBe(true);
    const count = requests.length;
    const again = await fromPretrained(`${base}/ok/`, { cacheDir, offline: true });
    expect(requests.length).toBe(count);
    expect(await predict(again.model)).toEqual(reference);
    expect(again.dir).toBe(await cacheFolderFor(`${base}/ok/`, cacheDir));
  });

  it('a connection dropped mid-file fails clearly, and the next call resumes with a Range request', async () => {
    const cacheDir = await freshCache();
    const url = `${base}/flaky/`;
    const error = await caught(fromPretrained(url, { cacheDir, retries: 0 }));
    expect(error.code).toBe('truncated');
    expect(error.message).toMatch(
      /download of group1-shard1of1\.bin .* broke after \d+ of \d+ bytes.*run again to resume/,
    );
    const folder = await cacheFolderFor(url, cacheDir);
    const partial = (await fs.stat(join(folder, `${SHARD}.partial`))).size;
    expect(partial).toBeGreaterThan(0);
    expect(existsSync(join(folder, SHARD))).toBe(false);

    const loaded = await fromPretrained(url, { cacheDir, retries: 0 });
    const shardRequests = requests.filter((r) => r.path === `/flaky/${SHARD}`);
    expect(shardRequests.at(-1)?.range).toBe(`bytes=${partial}-`);
    expect(await predict(loaded.model)).toEqual(reference);
    expect(existsSync(join(folder, `${SHARD}.partial`))).toBe(false);
  });

  it('retries resume within one call', async () => {
    const cacheDir = await freshCache();
    const loaded = await fromPretrained(`${base}/flaky/again/`, { cacheDir });
    const shardRequests = requests.filter((r) => r.path === `/flaky/again/${SHARD}`);
    expect(shardRequests.length).toBe(2);
    expect(shardRequests[0].range).toBeUndefined();
    expect(shardRequests[1].range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(await predict(loaded.model)).toEqual(reference);
  });

  it('a corrupted byte is caught before anything is used, and nothing stays in the cache', async () => {
    const cacheDir = await freshCache();
    const url = `${base}/corrupt/`;
    const before = tf.memory().numTensors;
    const error = await caught(fromPretrained(url, { cacheDir }));
    expect(error.code).toBe('checksum');
    expect(error.message).toMatch(/Checksum mismatch for group1-shard1of1\.bin/);
    expect(tf.memory().numTensors).toBe(before);
    const folder = await cacheFolderFor(url, cacheDir);
    expect(existsSync(join(folder, SHARD))).toBe(false);
    expect(existsSync(join(folder, `${SHARD}.partial`))).toBe(false);
    const offline = await caught(fromPretrained(url, { cacheDir, offline: true }));
    expect(offline.code).toBe('offline');
    expect(offline.message).toMatch(/incomplete: missing or damaged group1-shard1of1\.bin/);
  });

  it('a 404 says so', async () => {
    const error = await caught(fromPretrained(`${base}/missing/`, { cacheDir: await freshCache() }));
    expect(error.code).toBe('not-found');
    expect(error.message).toMatch(/manifest\.json answered 404 Not Found: check the preset URL/);
  });

  it('offline with an empty cache never touches the network and says what is missing', async () => {
    const count = requests.length;
    const error = await caught(
      fromPretrained(`${base}/ok/`, { cacheDir: await freshCache(), offline: true }),
    );
    expect(error.code).toBe('offline');
    expect(error.message).toMatch(/not in the cache .*missing manifest\.json/);
    expect(requests.length).toBe(count);
  });

  it('a revision fills the {revision} placeholder and a pinned manifest hash is enforced', async () => {
    const cacheDir = await freshCache();
    const loaded = await fromPretrained(`${base}/ok/{revision}/`, { cacheDir, revision: 'v1' });
    expect(await predict(loaded.model)).toEqual(reference);
    expect(requests.at(-1)?.path).toMatch(/^\/ok\/v1\//);
    const wrongPin = await caught(
      fromPretrained(`${base}/ok/pinned/`, { cacheDir, manifestSha256: 'a'.repeat(64) }),
    );
    expect(wrongPin.code).toBe('checksum');
    const noPlaceholder = await caught(fromPretrained(`${base}/ok/`, { cacheDir, revision: 'v1' }));
    expect(noPlaceholder.message).toMatch(/has no \{revision\} placeholder/);
  });

  it('a registered preset name resolves to its URL', async () => {
    registerPreset({ name: 'served-test', url: `${base}/ok/` });
    try {
      const loaded = await fromPretrained('served-test', { cacheDir: await freshCache() });
      expect(await predict(loaded.model)).toEqual(reference);
    } finally {
      unregisterPreset('served-test');
    }
  });
});

describe('the browser-safe loader (fetch + memory cache)', () => {
  it('loads a URL preset, verified, and serves the second load from memory', async () => {
    const url = `${base}/ok/browser/`;
    const loaded = await browserFromPretrained(url, { cache: 'memory' });
    expect(await predict(loaded.model)).toEqual(reference);
    const count = requests.length;
    const again = await browserFromPretrained(url, { cache: 'memory', offline: true });
    expect(requests.length).toBe(count);
    expect(await predict(again.model)).toEqual(reference);
  });

  it('refuses a corrupted byte and folders', async () => {
    const error = await caught(browserFromPretrained(`${base}/corrupt/browser/`, { cache: 'none' }));
    expect(error.code).toBe('checksum');
    const folder = await caught(browserFromPretrained('./some/folder'));
    expect(folder.message).toMatch(/load through '@attnzoo\/hub\/node'/);
  });
});

describe('the Cache API store', () => {
  it('keeps only verified files, keyed by URL, and serves them offline', async () => {
    const entries = new Map<string, Response>();
    const fake = {
      async open() {
        return {
          async match(url: string) {
            return entries.get(url)?.clone();
          },
          async put(url: string, response: Response) {
            entries.set(url, response);
          },
        };
      },
    };
    const g = globalThis as { caches?: unknown };
    const saved = g.caches;
    g.caches = fake;
    try {
      const url = `${base}/ok/cache-api/`;
      await browserFromPretrained(url);
      expect([...entries.keys()].sort()).toEqual(
        ['README.md', 'config.json', SHARD, 'manifest.json', 'metadata.json', 'model.json']
          .map((n) => url + n)
          .sort(),
      );
      const count = requests.length;
      const again = await browserFromPretrained(url, { offline: true });
      expect(requests.length).toBe(count);
      expect(await predict(again.model)).toEqual(reference);
      await browserFromPretrained(`${base}/corrupt/cache-api/`).catch(() => undefined);
      expect([...entries.keys()].some((k) => k.includes('/corrupt/') && k.endsWith(SHARD))).toBe(false);
    } finally {
      g.caches = saved;
    }
  });
});

describe('the cache folder', () => {
  it('fetches a damaged cached manifest again', async () => {
    const cacheDir = await freshCache();
    const url = `${base}/ok/damaged/`;
    await fromPretrained(url, { cacheDir });
    await fs.writeFile(join(await cacheFolderFor(url, cacheDir), 'manifest.json'), '{oops');
    const loaded = await fromPretrained(url, { cacheDir });
    expect(await predict(loaded.model)).toEqual(reference);
  });

  it('follows ATTNZOO_CACHE, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(defaultCacheDir({ ATTNZOO_CACHE: '/a/b', XDG_CACHE_HOME: '/x' })).toBe('/a/b');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/attnzoo');
    expect(defaultCacheDir({})).toMatch(/\.cache[\\/]attnzoo$/);
  });
});
