import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CheckpointError, DiskCheckpointStore, train } from './node';
import { blobSource, maxAbsDiff, tinyModel, useCpu, weightsOf } from './testing/helpers';

// Writes fail on demand: the next `open` for writing of a path containing `failOn.suffix` rejects
// with that errno, as a full disk (ENOSPC) or a folder turned read-only (EACCES) would. The test
// runs as any user, root included, where chmod cannot make a folder read-only.
const failOn: { suffix?: string; code?: string } = {};
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof fs.open = async (path, flags, mode) => {
    if (failOn.suffix && flags === 'w' && String(path).includes(failOn.suffix)) {
      const code = failOn.code ?? 'ENOSPC';
      failOn.suffix = undefined;
      throw Object.assign(new Error(`${code}: simulated, open '${path}'`), { code });
    }
    return fs.open(path, flags, mode);
  };
  return { ...fs, open, default: { ...fs, open } };
});

const dirs: string[] = [];
beforeAll(useCpu);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Trains 3 epochs; the save of epoch 2 fails at `suffix`. Returns the error and the weights after epoch 1. */
async function failingSecondSave(suffix: string, code: string) {
  const dir = mkdtempSync(join(tmpdir(), 'attnzoo-ckpt-fail-'));
  dirs.push(dir);
  const model = tinyModel();
  const tr = blobSource(32, 8);
  let afterFirst: Float32Array[] = [];
  const error = await train({
    model,
    train: tr.source,
    epochs: 3,
    checkpoints: new DiskCheckpointStore(dir),
    callbacks: [
      {
        onEpochEnd: async (l) => {
          if (l.epoch === 0) {
            afterFirst = await weightsOf(model);
            Object.assign(failOn, { suffix, code });
          }
        },
      },
    ],
  }).catch((e) => e);
  tr.dispose();
  model.dispose();
  return { dir, error, afterFirst };
}

describe('a checkpoint save that fails part-way', () => {
  for (const [suffix, code, what] of [
    ['optimizer.bin', 'ENOSPC', 'the disk fills up after weights.bin is written'],
    ['last.json.tmp-', 'EACCES', 'the folder turns read-only before the pointer is replaced'],
  ] as const) {
    it(`${what}: the previous checkpoint stays loadable and the error says what failed`, async () => {
      const { dir, error, afterFirst } = await failingSecondSave(suffix, code);
      expect(error).toBeInstanceOf(CheckpointError);
      expect(error.message).toMatch(
        new RegExp(
          `could not save the '(last|best)' checkpoint of epoch 2 into .* \\(${code}: simulated.*\\); the previous '\\1' checkpoint \\(epoch 1\\) is intact\\. ${code === 'ENOSPC' ? 'Free disk space' : 'Make the folder writable'} or choose another checkpoint folder, then resume the training\\.`,
        ),
      );
      const last = await new DiskCheckpointStore(dir).load('last');
      expect(last?.state.epoch).toBe(1);
      expect(
        maxAbsDiff(
          last!.weights.map((w) => w.data as Float32Array),
          afterFirst,
        ),
      ).toBe(0);
      // nothing half-written is left: every checkpoint folder is one a pointer names
      const store = new DiskCheckpointStore(dir);
      const named = [await store.folder('last'), await store.folder('best')];
      const names = readdirSync(dir);
      expect(names.filter((n) => n.includes('.tmp-'))).toEqual([]);
      const folders = names.filter((n) => /^e\d+-/.test(n));
      expect(folders.every((f) => named.includes(f))).toBe(true);
      expect(names).not.toContain('.lock');
    });
  }
});
