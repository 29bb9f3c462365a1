import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpus, expectCleanFailure, fuzz, mutated } from '@attnzoo/fixtures/fuzz';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from './checkpoint';
import { CheckpointError, DiskCheckpointStore } from './node';

const CORPUS = join(__dirname, '../fuzz-corpus');
const isCheckpointError = (e: unknown) => e instanceof CheckpointError;
const FILES = ['state.json', 'weights.bin', 'optimizer.bin', 'last.json'] as const;

function checkpoint(): Checkpoint {
  const f = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => i * k);
  return {
    weights: [
      { name: 'dense/kernel', shape: [3, 4], dtype: 'float32', data: f(12, 0.5) },
      { name: 'dense/bias', shape: [4], dtype: 'float32', data: f(4, 1) },
      { name: 'steps', shape: [2], dtype: 'int32', data: Int32Array.from([7, 9]) },
    ],
    optimizer: { step: 3, m: [f(12, 0.1), f(4, 0.2)], v: [f(12, 0.3), f(4, 0.4)] },
    state: {
      epoch: 2,
      step: 6,
      rng: { s: [1, 2, 3, 4] } as never,
      seed: 1,
      monitor: 'loss',
      best: { value: 0.5, epoch: 1 },
      wait: 0,
      signature: { layers: ['Dense'], weights: [] },
      history: [],
    },
  };
}

let root: string;
let good: Record<(typeof FILES)[number], Uint8Array>;
let folder: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'attnzoo-ckpt-fuzz-'));
  const store = new DiskCheckpointStore(join(root, 'seed'));
  await store.save('last', checkpoint());
  folder = (await store.folder('last'))!;
  const read = (f: string) =>
    new Uint8Array(readFileSync(join(root, 'seed', f === 'last.json' ? f : join(folder, f))));
  good = Object.fromEntries(FILES.map((f) => [f, read(f)])) as typeof good;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Writes a checkpoint folder with `files`; with `rehash`, state.json's checksums are made to match the binaries. */
function writeCheckpoint(dir: string, files: Record<string, Uint8Array>, rehash: boolean): void {
  const ck = join(dir, folder);
  mkdirSync(ck, { recursive: true });
  let state = files['state.json'];
  if (rehash) {
    try {
      const json = JSON.parse(new TextDecoder().decode(state));
      json.sha256 = {
        'weights.bin': sha(files['weights.bin']),
        'optimizer.bin': sha(files['optimizer.bin']),
      };
      state = new TextEncoder().encode(JSON.stringify(json));
    } catch {
      // not JSON any more: leave it as it is
    }
  }
  writeFileSync(join(ck, 'state.json'), state);
  writeFileSync(join(ck, 'weights.bin'), files['weights.bin']);
  writeFileSync(join(ck, 'optimizer.bin'), files['optimizer.bin']);
  writeFileSync(join(dir, 'last.json'), files['last.json']);
}

// One file damaged; state.json's checksums rewritten or not (a damaged state.json with matching
// checksums is what a bug or a hostile edit produces, and it reaches the layout checks).
const hostile = fc
  .tuple(fc.constantFrom(...FILES), fc.boolean(), fc.nat())
  .chain(([name, rehash]) => mutated([good[name]]).map((bytes) => ({ name, bytes, rehash })));

let n = 0;
async function loadChecked(files: Record<string, Uint8Array>, rehash: boolean): Promise<void> {
  const dir = join(root, `case-${n++}`);
  writeCheckpoint(dir, files, rehash);
  try {
    await expectCleanFailure(
      async () => {
        const c = await new DiskCheckpointStore(dir).load('last');
        if (!c) return;
        // whatever loads is self-consistent: each array as long as its shape says
        for (const w of c.weights) expect(w.data.length).toBe(w.shape.reduce((a, d) => a * d, 1));
        expect(c.optimizer.m.map((a) => a.length)).toEqual(c.optimizer.v.map((a) => a.length));
      },
      isCheckpointError,
      dir,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('checkpoints on disk: damaged files end in a CheckpointError naming the folder', () => {
  it('the seed loads', async () => {
    const c = await new DiskCheckpointStore(join(root, 'seed')).load('last');
    expect(c?.state.epoch).toBe(2);
  });

  it('DiskCheckpointStore.load', async () => {
    const r = await fuzz(
      'checkpoint',
      hostile,
      ({ name, bytes, rehash }) => loadChecked({ ...good, [name]: bytes }, rehash),
      { numRuns: 1500, timeMs: 4000 },
    );
    expect(r.inputs).toBeGreaterThan(100);
  });

  it('regression corpus: damaged files that once escaped as RangeErrors or TypeErrors', async () => {
    // each input replaces the file its name starts with; state.json's checksums are made to match
    const inputs = corpus(CORPUS, 'checkpoint');
    expect(inputs.length).toBeGreaterThan(0);
    for (const { name, bytes } of inputs) {
      const file = name.split('--')[0];
      expect(FILES).toContain(file);
      await loadChecked({ ...good, [file]: bytes }, true);
    }
  });
});
