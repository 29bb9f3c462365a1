import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accuracy, DiskCheckpointStore, train } from './node';
import { blobSource, tinyModel, useCpu, weightsOf } from './testing/helpers';

const here = fileURLToPath(new URL('.', import.meta.url));
// node with tsx's loader, not the tsx CLI: that CLI runs the script in a second process, which a
// SIGKILL of the CLI would leave running.
const tsxLoader = pathToFileURL(join(here, '..', 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'attnzoo-train-'));
  dirs.push(d);
  return d;
};

beforeAll(useCpu);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs the child; with `kill`, SIGKILLs it as soon as it prints "KILL". Resolves with how it ended. */
function runChild(dir: string, env: Record<string, string>, kill: boolean) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, ['--import', tsxLoader, join(here, 'testing', 'child.ts'), dir], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (kill && out.includes('KILL')) child.kill('SIGKILL');
      });
      child.stderr.on('data', (d) => {
        err += d;
      });
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        if (code !== 0 && signal === null) reject(new Error(`child failed (${code}):\n${err}`));
        else resolve({ code, signal, out });
      });
    },
  );
}

describe('checkpoint and resume', () => {
  it('a run SIGKILLed mid-epoch and while writing a checkpoint, then resumed, ends with the weights of an uninterrupted run', async () => {
    const dir = tempDir();
    // 80 examples / 16 = 5 steps per epoch. Kill while writing epoch 1's checkpoint, then at step 13
    // (mid-epoch 2), then let it finish.
    const first = await runChild(dir, { KILL_IN_SAVE: '1' }, true);
    expect(first.signal).toBe('SIGKILL');
    expect(first.out).toContain('KILL save 1');
    const second = await runChild(dir, { KILL_AT: '13' }, true);
    expect(second.signal).toBe('SIGKILL');
    expect(second.out).toContain('KILL step 13');
    const store = new DiskCheckpointStore(join(dir, 'ckpt'));
    const last = await store.load('last');
    expect(last?.state.epoch).toBe(2);
    const third = await runChild(dir, {}, false);
    expect(third.out).toContain('DONE');
    const resumed = JSON.parse(readFileSync(join(dir, 'final.json'), 'utf8')) as {
      weights: number[][];
      step: number;
    };
    expect(resumed.step).toBe(20);
    expect(readdirSync(join(dir, 'ckpt')).filter((f) => f.includes('.tmp-'))).toEqual([]);

    // The same run, uninterrupted, in this process.
    const tr = blobSource(80, 16, 1);
    const va = blobSource(32, 16, 2);
    const model = tinyModel({ dropout: 0.2 });
    await train({
      model,
      train: tr.source,
      validation: va.source,
      epochs: 4,
      seed: 11,
      lr: 0.01,
      metrics: [accuracy()],
    });
    const reference = await weightsOf(model);
    tr.dispose();
    va.dispose();
    model.dispose();
    expect(resumed.weights.length).toBe(reference.length);
    reference.forEach((w, i) => {
      expect(Array.from(w)).toEqual(resumed.weights[i]);
    });
  });
});
