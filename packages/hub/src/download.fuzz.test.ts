import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyEdit, expectCleanFailure, fuzz } from '@attnzoo/fixtures/fuzz';
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

/** How the server answers one file: as it should, or in one of the ways servers and networks fail. */
type Answer =
  | { kind: 'ok' }
  | { kind: 'status'; status: number }
  | { kind: 'throw' }
  | { kind: 'bytes'; edit: Parameters<typeof applyEdit>[1] }
  | { kind: 'length'; delta: number }
  | { kind: 'break'; at: number }
  | { kind: 'redirected'; url: string };

const answer: fc.Arbitrary<Answer> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'ok' as const }) },
  fc.record({ kind: fc.constant('status' as const), status: fc.constantFrom(206, 301, 404, 416, 429, 500) }),
  fc.constant({ kind: 'throw' as const }),
  fc.record({
    kind: fc.constant('bytes' as const),
    edit: fc.oneof(
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({
        kind: fc.constant('append' as const),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
      }),
    ),
  }),
  fc.record({ kind: fc.constant('length' as const), delta: fc.constantFrom(-1, 1, 1e9) }),
  fc.record({ kind: fc.constant('break' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('redirected' as const),
    url: fc.constantFrom('http://evil.example/x', 'ftp://x/', 'https://mirror.example/x'),
  }),
);

/** A fetch that serves the preset, answering each file as `answers` says (per file name, in order). */
function server(answers: Answer[]) {
  let n = 0;
  return async (url: string): Promise<Response> => {
    const name = decodeURIComponent(url.slice(BASE.length));
    const a = answers[n++ % answers.length];
    const body = good[name];
    if (!body) return new Response('missing', { status: 404 });
    if (a.kind === 'throw') throw new TypeError('fetch failed: connection reset');
    if (a.kind === 'status') return new Response(null, { status: a.status });
    let bytes = body;
    if (a.kind === 'bytes') bytes = applyEdit(body, a.edit);
    const headers: Record<string, string> = { 'content-length': String(bytes.length) };
    if (a.kind === 'length') headers['content-length'] = String(bytes.length + a.delta);
    if (a.kind === 'break') {
      const cut = a.at % (bytes.length + 1);
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(bytes.slice(0, cut));
          c.error(new Error('socket hang up'));
        },
      });
      return new Response(stream, { headers });
    }
    const response = new Response(bytes.slice(), { headers });
    if (a.kind === 'redirected') Object.defineProperty(response, 'url', { value: a.url });
    return response;
  };
}

let run = 0;
describe('preset downloads: a misbehaving server ends in a PresetError, never a bad file used', () => {
  it('fetchPresetFiles (memory) and downloadPreset (disk cache)', async () => {
    const r = await fuzz(
      'preset-download',
      fc.array(answer, { minLength: 1, maxLength: 8 }),
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
