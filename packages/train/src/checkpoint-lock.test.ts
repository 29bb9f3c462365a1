import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, DiskCheckpointStore, train } from './node';
import { blobSource, tinyModel, useCpu } from './testing/helpers';

const here = fileURLToPath(new URL('.', import.meta.url));
const tsxLoader = pathToFileURL(join(here, '..', 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'attnzoo-lock-'));
  dirs.push(d);
  return d;
};

beforeAll(useCpu);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('one training per checkpoint folder', () => {
  it('a second training into the same folder is refused with a clear error; the first one finishes', async () => {
    const dir = tempDir();
    const a = blobSource(64, 8, 1);
    const b = blobSource(64, 8, 2);
    // the first training holds the folder until the second has been answered
    let answered: () => void = () => {};
    const secondAnswered = new Promise<void>((r) => {
      answered = r;
    });
    const first = train({
      model: tinyModel(),
      train: a.source,
      epochs: 3,
      checkpoints: new DiskCheckpointStore(dir),
      callbacks: [{ onEpochEnd: () => secondAnswered }],
    });
    while (!existsSync(join(dir, '.lock'))) await new Promise((r) => setTimeout(r, 5));
    const second = train({
      model: tinyModel({ seed: 2 }),
      train: b.source,
      epochs: 1,
      checkpoints: new DiskCheckpointStore(dir),
    });
    await second.catch(() => undefined);
    answered();
    await expect(second).rejects.toThrow(CheckpointError);
    await expect(second).rejects.toThrow(
      new RegExp(
        `checkpoint folder ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another training \\(process ${process.pid} on .* \\(this process\\), since .*\\): .*Give this training another checkpoint folder, or stop the other one`,
      ),
    );
    expect((await first).epochs).toBe(3);
    // released at the end: the folder can be resumed from
    expect(existsSync(join(dir, '.lock'))).toBe(false);
    const resumed = await train({
      model: tinyModel(),
      train: a.source,
      epochs: 4,
      checkpoints: new DiskCheckpointStore(dir),
      resume: true,
    });
    expect(resumed.history.length).toBe(4);
    a.dispose();
    b.dispose();
  });

  it("another process's claim is refused while it runs and taken over once it is killed", async () => {
    const dir = tempDir();
    const child = spawn(
      process.execPath,
      ['--import', tsxLoader, join(here, 'testing', 'lock-child.ts'), dir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => String(d).includes('LOCKED') && resolve());
      child.on('exit', (code) => reject(new Error(`lock child exited with ${code}`)));
    });
    const store = new DiskCheckpointStore(dir);
    await expect(store.acquire()).rejects.toThrow(`is in use by another training (process ${child.pid} on`);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await store.acquire();
    expect(existsSync(join(dir, '.lock'))).toBe(true);
    await store.release();
    expect(existsSync(join(dir, '.lock'))).toBe(false);
  });
});
