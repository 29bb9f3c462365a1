import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachePath, downloadFile, fetchDataset } from '../node';
import { tempDir } from '../testing/helpers';

const here = dirname(fileURLToPath(import.meta.url));
// node with tsx's loader (not the tsx CLI, whose second process a SIGKILL would leave running)
// and the sources of sibling packages (@attnzoo/download), as in the tests, not their dist/
const tsxLoader = pathToFileURL(join(here, '../../../../node_modules/tsx/dist/loader.mjs')).href;
const FILE = 'cifar-10-binary.tar.gz';
const body = randomBytes(256 * 1024);
const sha256 = createHash('sha256').update(body).digest('hex');

let tmp: ReturnType<typeof tempDir>;
let server: Server;
let url: string;
let requests = 0;
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  tmp = tempDir();
  // Serves the file slowly (32 pieces, 20 ms apart, Range supported) so that the downloads overlap.
  server = createServer(async (req, res) => {
    requests++;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const part = body.subarray(start);
    res.writeHead(m ? 206 : 200, {
      'content-length': String(part.length),
      ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    const step = Math.ceil(body.length / 32);
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    for (let at = 0; at < part.length && !res.destroyed; at += step) {
      res.write(part.subarray(at, at + step));
      await new Promise((r) => setTimeout(r, 20));
    }
    inFlight--;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${FILE}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  tmp.cleanup();
});

type ChildRun = { code: number | null; signal: NodeJS.Signals | null; out: string; err: string };

/** Runs a fetching child; `onDownloading` is called once its first bytes arrived. */
function child(cacheDir: string, onDownloading?: (kill: () => void) => void): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [
        '--conditions=@attnzoo/source',
        '--import',
        tsxLoader,
        join(here, '..', 'testing', 'fetch-child.ts'),
        url,
        cacheDir,
        sha256,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    let told = false;
    p.stdout.on('data', (d) => {
      out += d;
      if (onDownloading && !told && out.includes('DOWNLOADING')) {
        told = true;
        onDownloading(() => p.kill('SIGKILL'));
      }
    });
    p.stderr.on('data', (d) => {
      err += d;
    });
    p.on('error', reject);
    p.on('exit', (code, signal) => resolve({ code, signal, out, err }));
  });
}

describe('several processes fetching the same data set at once', () => {
  it('end with one verified copy and no error, even when one of them is killed mid-download', async () => {
    const cacheDir = join(tmp.dir, 'cache');
    const dest = cachePath(cacheDir, 'cifar-10', FILE);
    // The first process is killed mid-download, just as three more start together.
    let others: Promise<ChildRun[]> | undefined;
    const killed = await child(cacheDir, (kill) => {
      others = Promise.all([child(cacheDir), child(cacheDir), child(cacheDir)]);
      kill();
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(others).toBeDefined();
    for (const r of await others!) {
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toContain(`DONE ${dest}`);
    }
    // the downloads did overlap: the file was being served to two processes or more at once
    expect(maxInFlight).toBeGreaterThanOrEqual(2);
    expect(createHash('sha256').update(readFileSync(dest)).digest('hex')).toBe(sha256);
    expect(readFileSync(`${dest}.sha256`, 'utf8')).toBe(`${sha256}  ${FILE}\n`);

    // The next fetch uses the cached copy (no request); the next download into that folder
    // clears the killed process's partial file, its data set file being complete.
    const before = requests;
    await fetchDataset('cifar-10', { cacheDir, urls: { [FILE]: [url] }, sha256: { [FILE]: sha256 } });
    expect(requests).toBe(before);
    const partials = () => readdirSync(dirname(dest)).filter((f) => f.includes('.part'));
    expect(partials().length).toBeLessThanOrEqual(1); // the killed process's, if it had created it
    await downloadFile([url], join(dirname(dest), 'other.bin'), { sha256, progressBar: false });
    expect(partials()).toEqual([]);
  });
});
