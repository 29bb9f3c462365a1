import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectCleanFailure, fuzz } from '@attnzoo/fixtures/fuzz';
import { misbehavingFetch, replies } from '@attnzoo/fixtures/fuzz-server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadVerified } from './download';
import { DownloadError } from './errors';

const URL_A = 'https://files.example/a.bin';
const published = new Uint8Array(3000).map((_, i) => (i * 7) & 255);
const sha256 = createHash('sha256').update(published).digest('hex');

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'attnzoo-download-fuzz-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

let run = 0;
describe('downloads from a misbehaving server', () => {
  it('end in a DownloadError or the published bytes, never a bad file in place', async () => {
    const r = await fuzz(
      'download',
      fc.tuple(
        fc.array(replies(['http://evil.example/a', 'ftp://x/', URL_A]), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.nat({ max: 2 }),
      ),
      async ([answers, knownSize, retries]) => {
        const folder = join(root, `r${run++}`);
        const dest = join(folder, 'a.bin');
        const error = await expectCleanFailure(
          () =>
            downloadVerified({
              urls: [URL_A],
              dest,
              fetch: misbehavingFetch((url) => (url === URL_A ? published : undefined), answers),
              sha256,
              size: knownSize ? published.length : undefined,
              maxBytes: 10_000,
              retries,
            }),
          (e) => e instanceof DownloadError,
          '',
        );
        const left = await fs.readdir(folder);
        if (error) {
          // nothing in place; at most the resumable leftover
          expect(left.filter((n) => n !== 'a.bin.partial')).toEqual([]);
        } else {
          expect(left).toEqual(['a.bin']);
          expect(new Uint8Array(await fs.readFile(dest))).toEqual(published);
        }
        await fs.rm(folder, { recursive: true, force: true });
      },
      { numRuns: 300, timeMs: 4000 },
    );
    expect(r.inputs).toBeGreaterThan(30);
  });
});
