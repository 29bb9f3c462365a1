import { existsSync, promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChildRun, runChild } from '@attnzoo/fixtures/child';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_FILE, parseManifest, sha256Hex } from './manifest';
import { cacheFolderFor, downloadPreset, save } from './node';
import { metadataFor, tinyEncoder, useCpu } from './testing/models';

const here = fileURLToPath(new URL('.', import.meta.url));

let root: string;
let server: Server;
let base: string;
let requests = 0;
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  await useCpu();
  root = await fs.mkdtemp(join(tmpdir(), 'attnzoo-hub-race-'));
  const presetDir = join(root, 'served');
  const model = tinyEncoder('sdpa', 16, 2);
  await save(model, presetDir, metadataFor('race'), { shardBytes: 8 * 1024 });
  model.dispose();
  // Serves the preset slowly (weight shards in 16 pieces, 25 ms apart) so that the downloads overlap.
  server = createServer(async (req, res) => {
    requests++;
    const name = new URL(req.url ?? '/', 'http://x').pathname.split('/').at(-1) ?? '';
    const file = join(presetDir, name);
    if (name.includes('..') || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const body = await fs.readFile(file);
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const part = body.subarray(start);
    res.writeHead(range ? 206 : 200, {
      'content-length': String(part.length),
      ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (!name.endsWith('.bin')) {
      res.end(part);
      return;
    }
    const step = Math.ceil(part.length / 16);
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    for (let at = 0; at < part.length && !res.destroyed; at += step) {
      res.write(part.subarray(at, at + step));
      await new Promise((r) => setTimeout(r, 25));
    }
    inFlight--;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/race/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await fs.rm(root, { recursive: true, force: true });
});

/** Runs a downloading child; `onDownloading` is called once its first weight bytes arrived. */
const child = (cacheDir: string, onDownloading?: (kill: () => void) => void) =>
  runChild(join(here, 'testing', 'download-child.ts'), [base, cacheDir], onDownloading);

async function verifyFolder(folder: string): Promise<string[]> {
  const manifest = parseManifest(new Uint8Array(await fs.readFile(join(folder, MANIFEST_FILE))), folder);
  for (const [name, entry] of Object.entries(manifest.files)) {
    const bytes = new Uint8Array(await fs.readFile(join(folder, name)));
    expect(bytes.byteLength, name).toBe(entry.size);
    expect(await sha256Hex(bytes), name).toBe(entry.sha256);
  }
  return Object.keys(manifest.files);
}

describe('several processes fetching the same preset at once', () => {
  it('end with one verified copy and no error, even when one of them is killed mid-download', async () => {
    const cacheDir = join(root, 'cache');
    // The first process is killed in the middle of a shard, just as three more start together.
    let others: Promise<ChildRun[]> | undefined;
    const killed = await child(cacheDir, (kill) => {
      others = Promise.all([child(cacheDir), child(cacheDir), child(cacheDir)]);
      kill();
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(others).toBeDefined();
    const folder = await cacheFolderFor(base, cacheDir);
    for (const r of await others!) {
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toContain(`DONE ${folder}`);
    }
    // the downloads did overlap: shards were being served to two processes or more at once
    expect(maxInFlight).toBeGreaterThanOrEqual(2);
    const names = await verifyFolder(folder);
    expect(names.filter((n) => n.endsWith('.bin')).length).toBeGreaterThan(1);

    // The next run finds every file cached (no request) and clears what the killed process left behind.
    const before = requests;
    expect(await downloadPreset(base, { cacheDir })).toBe(folder);
    expect(requests).toBe(before);
    const left = (await fs.readdir(folder)).filter((f) => /\.partial-\d+-/.test(f));
    expect(left).toEqual([]);
  });
});
