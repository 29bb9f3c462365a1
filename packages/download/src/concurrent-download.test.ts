import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChildRun, runChild } from '@attnzoo/fixtures/child';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadVerified } from './download';
import { sweepDeadPartials } from './partial-files';
import { type Served, serveFiles } from './testing/server';

const here = fileURLToPath(new URL('.', import.meta.url));
const body = randomBytes(256 * 1024);
const sha256 = createHash('sha256').update(body).digest('hex');

let dir: string;
let srv: Served;
let inFlight = 0;
let maxInFlight = 0;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'attnzoo-download-race-'));
  // the file in 32 pieces, 20 ms apart, so that the downloads overlap
  srv = await serveFiles(
    { 'f.bin': body },
    {
      pieces: 32,
      delayMs: 20,
      onBody: (delta) => {
        inFlight += delta;
        maxInFlight = Math.max(maxInFlight, inFlight);
      },
    },
  );
});
afterAll(async () => {
  await srv.close();
  await fs.rm(dir, { recursive: true, force: true });
});

/** Runs a downloading child; `onDownloading` is called once its first bytes arrived. */
const child = (dest: string, onDownloading?: (kill: () => void) => void) =>
  runChild(join(here, 'testing', 'download-child.ts'), [`${srv.url}f.bin`, dest, sha256], onDownloading);

describe('several processes downloading the same file at once', () => {
  it('end with one verified copy and no error, even when one of them is killed mid-download', async () => {
    const dest = join(dir, 'cache', 'f.bin');
    // The first process is killed mid-download, just as three more start together.
    let others: Promise<ChildRun[]> | undefined;
    const killed = await child(dest, (kill) => {
      others = Promise.all([child(dest), child(dest), child(dest)]);
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

    // the killed process's partial file (if it had created one) is cleared by the next sweep,
    // its file being complete, and nothing else is left
    const partials = () => readdirSync(join(dir, 'cache')).filter((f) => f.includes('.partial'));
    expect(partials().length).toBeLessThanOrEqual(1);
    await sweepDeadPartials(join(dir, 'cache'));
    expect(partials()).toEqual([]);
    await downloadVerified({ urls: [`${srv.url}f.bin`], dest: join(dir, 'cache', 'other.bin'), sha256 });
    expect(readdirSync(join(dir, 'cache')).sort()).toEqual(['f.bin', 'other.bin']);
  });
});
