import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeTar } from '@attnzoo/datasets';
import { ImageClassifier, loadImageData, SAMPLE_SPLIT } from '@attnzoo/vit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../backend';
import { cli } from '../testing/run-cli';
import { finetune, trainRelease, unpackRelease } from './vit';

const dir = mkdtempSync(join(tmpdir(), 'vit-release-'));
beforeAll(() => chooseBackend(process.env.ATTNZOO_TEST_BACKEND ?? 'wasm', undefined, () => {}));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = { backend: 'wasm', hardware: 'test machine', command: 'vitest' };
const quiet = () => {};

describe('train-release → unpack → load (small MNIST slice, tiny model)', () => {
  it('attnzoo release train writes a release package and one tar; unpack verifies and loads it', async () => {
    const out = join(dir, 'work', 'vit-mnist-efficient');
    const tar = join(dir, 'out', 'vit-mnist-efficient.tar');
    const summaryPath = join(dir, 'summary.json');
    const { code, stdout } = await cli(
      'release',
      'train',
      'vit-mnist-efficient',
      '--out',
      out,
      '--tar',
      tar,
      '--epochs',
      '1',
      '--train-limit',
      '4096',
      '--test-limit',
      '300',
      '--batch-size',
      '64',
      '--backbone',
      'patchSize=7,width=16,depth=1,numHeads=2,feedForwardWidth=32',
      '--backend',
      'wasm',
      '--summary',
      summaryPath,
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/^epoch 1\/1 .*loss/m); // plain progress lines
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
    expect(summary).toMatchObject({
      name: 'vit-mnist-efficient',
      epochs: 1,
      trainImages: 4096,
      testImages: 300,
    });
    expect(summary.testAccuracy).toBeGreaterThan(0.2); // 4,096 images, one epoch: well above chance (0.1)
    const pkg = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('@attnzoo/model-vit-mnist-efficient');
    expect(pkg.peerDependencies['@attnzoo/vit']).toBeDefined();
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    for (const text of [
      'accuracy',
      'Attention:',
      'Time:',
      'Hardware:',
      'TensorFlow.js backend: wasm',
      'attnzoo release train vit-mnist-efficient',
    ])
      expect(card).toContain(text);
    const metadata = JSON.parse(readFileSync(join(out, 'preset', 'metadata.json'), 'utf8'));
    expect(metadata.weightsDtype).toBe('float16');
    expect(metadata.metrics.find((m: { split: string }) => m.split === SAMPLE_SPLIT).value).toBeCloseTo(
      summary.sampleAccuracy,
      3,
    );

    const unpacked = join(dir, 'models', 'vit-mnist-efficient');
    const files = await unpackRelease(tar, unpacked);
    expect(files).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'preset/manifest.json', 'preset/model.json']),
    );
    await expect(unpackRelease(tar, unpacked)).rejects.toThrow(/already exists/);
    const classifier = await ImageClassifier.fromPretrained(join(unpacked, 'preset'));
    expect(classifier.config.backbone).toMatchObject({ variant: 'efficient', width: 16 });
    const { test } = await loadImageData('mnist', { splits: ['test'], testLimit: 300, seed: 1 });
    const r = await classifier.evaluate(test!);
    expect(r.accuracy).toBeCloseTo(summary.testAccuracy, 5);
    classifier.dispose();
  });

  it('a tar that is not a release is refused and leaves nothing behind', async () => {
    const bad = join(dir, 'bad.tar');
    writeFileSync(bad, writeTar([{ path: 'hello.txt', bytes: new TextEncoder().encode('hi') }]));
    await expect(unpackRelease(bad, join(dir, 'models', 'bad'))).rejects.toThrow(/no preset\/manifest.json/);
    expect(existsSync(join(dir, 'models', 'bad'))).toBe(false);
  });

  it('fine-tunes the release on a Fashion-MNIST slice with a new head', async () => {
    const summary = await finetune({
      from: join(dir, 'models', 'vit-mnist-efficient'),
      dataset: 'fashion-mnist',
      trainLimit: 1024,
      testLimit: 200,
      batchSize: 32,
      peakLr: 3e-3,
      out: join(dir, 'fashion'),
      env,
      log: quiet,
    });
    expect(summary).toMatchObject({ newHead: true, epochs: 1, trainImages: 1024, testImages: 200 });
    expect(summary.testAccuracy).toBeGreaterThan(0.15);
    const tuned = await ImageClassifier.fromPretrained(join(dir, 'fashion', 'preset'));
    expect(tuned.classNames).toContain('Ankle boot');
    tuned.dispose();
  });
});

/** CIFAR-100 binary records: <coarse label><fine label><1024 R><1024 G><1024 B>. */
function cifar100Records(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n * 3074);
  for (let i = 0; i < n; i++) {
    const fine = (i * 7 + seed) % 100;
    out[i * 3074] = fine % 20;
    out[i * 3074 + 1] = fine;
    for (let j = 2; j < 3074; j++) out[i * 3074 + j] = (fine * 2 + j) & 255;
  }
  return out;
}

describe('vit-cifar100 configuration', () => {
  it('reads generated CIFAR-100 binary records and trains one epoch with the recipe (tiny backbone)', async () => {
    const archive = join(dir, 'cifar-100-binary.tar.gz');
    writeFileSync(
      archive,
      gzipSync(
        writeTar([
          { path: 'cifar-100-binary/train.bin', bytes: cifar100Records(64, 1) },
          { path: 'cifar-100-binary/test.bin', bytes: cifar100Records(32, 2) },
        ]),
      ),
    );
    const data = await loadImageData('cifar-100', { data: archive });
    expect(data.train).toMatchObject({ count: 64, height: 32, width: 32, channels: 3 });
    expect(data.train!.labels[1]).toBe(8);
    const summary = await trainRelease({
      name: 'vit-cifar100',
      out: join(dir, 'cifar100'),
      data: archive,
      epochs: 1,
      batchSize: 32,
      backbone: { patchSize: 8, width: 16, depth: 1, numHeads: 2, feedForwardWidth: 32 },
      env,
      log: quiet,
    });
    expect(summary).toMatchObject({
      dataset: 'cifar-100',
      variant: 'super',
      trainImages: 64,
      testImages: 32,
    });
    const classifier = await ImageClassifier.fromPretrained(join(dir, 'cifar100', 'preset'));
    expect(classifier.config.numClasses).toBe(100);
    expect(classifier.preprocessor.config.augment).toEqual({
      cropPadding: 4,
      horizontalFlip: true,
      trivialAugment: true,
      randomErasing: 0.25,
    });
    classifier.dispose();
  });

  it('pauses at --time-limit-minutes with a checkpoint, and the same command with --resume finishes the schedule', async () => {
    const archive = join(dir, 'cifar-100-binary.tar.gz');
    const checkpoints = join(dir, 'cifar100-ckpt');
    const args = [
      'release',
      'train',
      'vit-cifar100',
      '--out',
      join(dir, 'cifar100-paused'),
      '--data',
      archive,
      '--epochs',
      '3',
      '--batch-size',
      '32',
      '--backbone',
      'patchSize=8,width=16,depth=1,numHeads=2,feedForwardWidth=32',
      '--backend',
      'wasm',
      '--checkpoints',
      checkpoints,
    ];
    const both = await cli(...args, '--budget-minutes', '1', '--time-limit-minutes', '1');
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/pass one of them/);
    // 45 s are kept for evaluation and saving: a 0.6-minute limit pauses after the first epoch.
    const paused = await cli(...args, '--time-limit-minutes', '0.6');
    expect(paused.code).toBe(75);
    expect(paused.stderr).toMatch(/paused after epoch 1 of 3.*--resume/);
    expect(existsSync(join(dir, 'cifar100-paused', 'package.json'))).toBe(false);
    const summaryPath = join(dir, 'cifar100-resumed.json');
    expect((await cli(...args, '--resume', '--summary', summaryPath)).code).toBe(0);
    expect(JSON.parse(readFileSync(summaryPath, 'utf8')).epochs).toBe(3);
    const metadata = JSON.parse(
      readFileSync(join(dir, 'cifar100-paused', 'preset', 'metadata.json'), 'utf8'),
    );
    expect(metadata.training.config.resumedAtEpoch).toBe(2);
    const log = readFileSync(join(dir, 'cifar100-paused', 'training-log.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(log.map((l) => JSON.parse(l).epoch)).toEqual([0, 1, 2]);
  });

  it('refuses --resume without --checkpoints, saying what to add', async () => {
    await expect(
      trainRelease({ name: 'vit-cifar100', out: join(dir, 'x'), resume: true, env, log: quiet }),
    ).rejects.toThrow(/need --checkpoints <folder>/);
  });
});
