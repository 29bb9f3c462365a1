import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './testing/run-cli';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
// The committed real CIFAR-10 slice (packages/fixtures/data: ~100 training, ~200 test images).
const CIFAR = join(root, 'packages/fixtures/data/cifar-10-jpeg-q75.tar.gz');
const RELEASE = join(root, 'models/vit-cifar10-efficient');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'attnzoo-twin-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Issue #23's loop: train in the PyTorch twin, export safetensors, import into the TypeScript
// package, evaluate there: the accuracy and loss the twin reported come back. Both decode the same
// JPEGs, Pillow there and attnzoo's decoder here, whose pixels can differ by one step: a logit moves
// a little, and an image on a near-tie may change class.
describe('PyTorch twin → safetensors → attnzoo', () => {
  it('a twin-trained vit-cifar10-efficient scores the same on the test images after attnzoo import', async () => {
    const st = join(dir, 'twin.safetensors');
    const result = join(dir, 'twin.json');
    await promisify(execFile)(
      process.env.ATTNZOO_PYTHON ?? '/usr/bin/python3',
      [
        ...['-m', 'attnzoo_torch.train_vit', 'vit-cifar10-efficient', '--data', CIFAR, '--epochs', '2'],
        ...['--batch-size', '32', '--checkpoints', join(dir, 'ck'), '--workers', '0', '--device', 'cpu'],
        ...['--out', result, '--export-like', join(RELEASE, 'preset'), '--export', st],
      ],
      { cwd: join(root, 'python'), env: { ...process.env, OMP_NUM_THREADS: '1' }, timeout: 600_000 },
    );
    const twin = JSON.parse(await readFile(result, 'utf8'));
    expect(twin.finished).toBe(true);
    const out = join(dir, 'imported');
    const i = await cli('import', st, '--into', RELEASE, '--out', out, '--json');
    expect(i.code, i.stderr).toBe(0);
    const e = await cli('evaluate', 'vit', '--from', out, '--data', CIFAR, '--backend', 'wasm', '--json');
    expect(e.code, e.stderr).toBe(0);
    const ours = JSON.parse(e.stdout);
    const last = twin.history.at(-1);
    expect(ours.count).toBe(twin.test_images);
    expect(ours.metric.name).toBe('accuracy');
    // At most one image of the 200 on the other side of a near-tie (the model is 2 epochs old).
    expect(Math.abs(ours.metric.value - last.test_accuracy) * ours.count).toBeLessThanOrEqual(1 + 1e-9);
    // Measured 2026-12-03: loss 2.5816 here vs 2.5868 in the twin (0.2 %); a wrong transpose or name
    // is off by far more (python/tests/test_twin_parity.py checks the exact logits on equal inputs).
    expect(Math.abs(ours.loss / last.test_loss - 1), `loss ${ours.loss} vs ${last.test_loss}`).toBeLessThan(
      0.01,
    );
  }, 900_000);
});
