import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectCleanFailure, fuzz } from '@attnzoo/fixtures/fuzz';
import { misbehavingFetch, type Reply, replies } from '@attnzoo/fixtures/fuzz-server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PresetError } from './errors';
import { downloadPreset } from './node';
import { presetFiles } from './preset';
import { fetchPresetFiles } from './remote';
import { metadataFor, tinyEncoder, useCpu } from './testing/models';

const BASE = 'https://presets.example/fuzz/';
// the error names the server's address or the file it was fetching
const isNamedPresetError = (e: unknown) =>
  e instanceof PresetError &&
  (e.message.includes('presets.example') || Object.keys(good).some((name) => e.message.includes(name)));

let good: Record<string, Uint8Array>;
let root: string;
beforeAll(async () => {
  await useCpu();
  const model = tinyEncoder('sdpa', 4);
  good = await presetFiles(model, metadataFor('served'), { shardBytes: 600 });
  model.dispose();
  root = await fs.mkdtemp(join(tmpdir(), 'attnzoo-hub-dl-fuzz-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** A fetch that serves the preset, answering requests as `answers` says, in turn. */
const server = (answers: Reply[]) =>
  misbehavingFetch(
    (url) => (url.startsWith(BASE) ? good[decodeURIComponent(url.slice(BASE.length))] : undefined),
    answers,
  );

let run = 0;
describe('preset downloads: a misbehaving server ends in a PresetError, never a bad file used', () => {
  it('fetchPresetFiles (memory) and downloadPreset (disk cache)', async () => {
    const r = await fuzz(
      'preset-download',
      fc.array(replies(['http://evil.example/x', 'ftp://x/', 'https://mirror.example/x']), {
        minLength: 1,
        maxLength: 8,
      }),
      async (answers) => {
        await expectCleanFailure(
          async () => {
            const files = await fetchPresetFiles(BASE, { fetch: server(answers), cache: 'none' });
            // what was accepted is exactly what was published
            expect(Object.keys(files).sort()).toEqual(Object.keys(good).sort());
            for (const [name, bytes] of Object.entries(good)) expect(files[name]).toEqual(bytes);
          },
          isNamedPresetError,
          '',
        );
        const cacheDir = join(root, `c${run++}`);
        await expectCleanFailure(
          async () => {
            const folder = await downloadPreset(BASE, { fetch: server(answers), cacheDir, retries: 0 });
            for (const [name, bytes] of Object.entries(good))
              expect(new Uint8Array(await fs.readFile(join(folder, name)))).toEqual(bytes);
          },
          isNamedPresetError,
          '',
        );
        await fs.rm(cacheDir, { recursive: true, force: true });
      },
      { numRuns: 150, timeMs: 4000 },
    );
    expect(r.inputs).toBeGreaterThan(30);
  });
});
