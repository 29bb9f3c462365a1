import { promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManifest, MANIFEST_FILE, utf8 } from './manifest';
import { loadPresetDir, save } from './node';
import { loadPresetFiles, MODEL_FILE, presetFiles } from './preset';
import { registerPreset } from './registry';
import { checkPresetSize, fetchBytes, fetchPresetFiles, MAX_MANIFEST_BYTES } from './remote';
import { metadataFor, tinyEncoder, useCpu } from './testing/models';
import { boundedFetch, checkPresetUrl } from './url-policy';

let server: Server;
let base: string;

beforeAll(async () => {
  await useCpu();
  // /hop/<n>/<target>: redirects n times, then to <target> (a path here, or an absolute URL)
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const hop = /^\/hop\/(\d+)\/(.*)$/.exec(url.pathname);
    if (hop) {
      const n = Number(hop[1]);
      const target = decodeURIComponent(hop[2]);
      res.writeHead(302, { location: n > 1 ? `/hop/${n - 1}/${hop[2]}` : target }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('served');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
});

describe('declared sizes are refused before allocation', () => {
  it('model.json declaring 4 GB for one weight, with small shards: named weight, no model built', async () => {
    const model = tinyEncoder('sdpa', 4);
    const files = await presetFiles(model, metadataFor('big'));
    model.dispose();
    const json = JSON.parse(new TextDecoder().decode(files[MODEL_FILE]));
    json.weightsManifest[0].weights[0].shape = [1e9];
    const rest: Record<string, Uint8Array> = { ...files, [MODEL_FILE]: utf8(JSON.stringify(json)) };
    delete rest[MANIFEST_FILE];
    const hostile = { ...rest, [MANIFEST_FILE]: utf8(JSON.stringify(await buildManifest(rest))) };
    const before = tf.memory().numTensors;
    await expect(loadPresetFiles(hostile, 'big-preset')).rejects.toMatchObject({
      code: 'truncated',
      message: expect.stringMatching(
        /^model\.json of big-preset declares 4\.0 GB of weights \(the largest, embed\/token_embeddings, 4\.0 GB\) but the shards hold \d+ bytes: the files are truncated or corrupt; fetch or save the preset again\.$/,
      ),
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a server announcing or sending more than the manifest lists is cut off', async () => {
    const announce = async () =>
      new Response(new Uint8Array(10), { headers: { 'content-length': '999999' } });
    await expect(fetchBytes(announce, 'https://h/a.bin', 'a.bin', 10)).rejects.toMatchObject({
      code: 'too-large',
      message: expect.stringContaining('announces 999999 bytes for a.bin, the manifest lists 10'),
    });
    let pulled = 0;
    const endless = async () =>
      new Response(
        new ReadableStream({
          pull(c) {
            pulled++;
            c.enqueue(new Uint8Array(1 << 16));
          },
        }),
      );
    await expect(fetchBytes(endless, 'https://h/manifest.json', MANIFEST_FILE, 0)).rejects.toMatchObject({
      code: 'too-large',
    });
    expect(pulled * (1 << 16)).toBeLessThanOrEqual(MAX_MANIFEST_BYTES + 3 * (1 << 16));
  });

  it('a manifest listing more than maxBytes is refused before any file is fetched', async () => {
    const manifest = { files: { 'a.bin': { sha256: 'a'.repeat(64), size: 5 * 2 ** 30 } } };
    expect(() => checkPresetSize(manifest, 4 * 2 ** 30, 'https://h/p/')).toThrow(
      /lists 5120\.0 MiB of files, over the 4096\.0 MiB limit/,
    );
    const urls: string[] = [];
    const fetchFn = async (url: string) => {
      urls.push(url);
      return new Response(JSON.stringify(manifest));
    };
    await expect(fetchPresetFiles('https://h/p/', { fetch: fetchFn, cache: 'none' })).rejects.toMatchObject({
      code: 'too-large',
    });
    expect(urls).toEqual(['https://h/p/manifest.json']);
  });
});

describe('a preset folder with files larger than its manifest says', () => {
  it('is refused before the files are read (a 4 GiB sparse shard, a 2 GiB sparse manifest)', async () => {
    const root = await fs.mkdtemp(join(tmpdir(), 'attnzoo-hub-sparse-'));
    try {
      const dir = join(root, 'p');
      const model = tinyEncoder('sdpa', 4);
      await save(model, dir, metadataFor('sparse'));
      model.dispose();
      const shard = join(dir, 'group1-shard1of1.bin');
      const listed = (await fs.stat(shard)).size;
      await fs.truncate(shard, 4 * 2 ** 30);
      await expect(loadPresetDir(dir, 'sparse-preset')).rejects.toMatchObject({
        code: 'checksum',
        message: expect.stringContaining(
          `group1-shard1of1.bin in sparse-preset has 4294967296 bytes but the manifest says ${listed}`,
        ),
      });
      await fs.truncate(join(dir, MANIFEST_FILE), 2 * 2 ** 30);
      await expect(loadPresetDir(dir, 'sparse-preset')).rejects.toMatchObject({ code: 'too-large' });
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});

describe('preset URLs: https, file, and http only to this machine; redirects bounded', () => {
  it('the URL policy', async () => {
    expect(checkPresetUrl('https://example.org/p/').protocol).toBe('https:');
    expect(checkPresetUrl('http://127.0.0.1:8080/p/').protocol).toBe('http:');
    expect(checkPresetUrl('http://localhost/p/').protocol).toBe('http:');
    expect(checkPresetUrl('http://[::1]/p/').protocol).toBe('http:');
    expect(() => checkPresetUrl('http://example.org/p/')).toThrow(
      /uses http: to example\.org: presets load only from https:\/\//,
    );
    expect(() => checkPresetUrl('ftp://example.org/p/')).toThrow(
      expect.objectContaining({ code: 'unsafe-url' }),
    );
    expect(() => checkPresetUrl('file:///tmp/p/')).toThrow(expect.objectContaining({ code: 'unsafe-url' }));
    expect(checkPresetUrl('file:///tmp/p/', 'x', true).protocol).toBe('file:');
    expect(() => registerPreset({ name: 'plain-http', url: 'http://example.org/{revision}/' })).toThrow(
      /unsafe|https/,
    );
    await expect(fetchPresetFiles('http://example.org/p/')).rejects.toMatchObject({ code: 'unsafe-url' });
  });

  it('follows a few redirects, refuses a sixth and a downgrade to plain http elsewhere', async () => {
    const fetchFn = boundedFetch();
    expect(await (await fetchFn(`${base}/hop/3/%2Fdone`)).text()).toBe('served');
    await expect(fetchFn(`${base}/hop/6/%2Fdone`)).rejects.toThrow(/redirected more than 5 times/);
    await expect(
      fetchFn(`${base}/hop/1/${encodeURIComponent('http://example.invalid/x')}`),
    ).rejects.toMatchObject({
      code: 'unsafe-url',
      message: expect.stringContaining('redirected to http://example.invalid/x, which uses http:'),
    });
  });
});
