import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FASHION_MNIST_CLASSES } from '@attnzoo/data-fashion-mnist-mini';
import { ImageClassifier } from '@attnzoo/vit/node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { comparisonReport } from './commands/quickstart';
import { cli } from './testing/run-cli';

afterEach(() => vi.restoreAllMocks());

describe('attnzoo quickstart', () => {
  it('fine-tunes vit-mnist-super with a new head on the shipped Fashion-MNIST subset, trains the same ViT from scratch, and saves the fine-tuned preset', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'attnzoo-quickstart-')), 'preset');
    const r = await cli(
      'quickstart',
      '--backend',
      'wasm',
      '--epochs',
      '1',
      '--train-size',
      '96',
      '--test-size',
      '200',
      '--out',
      out,
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.backend).toBe('wasm');
    expect(summary.from).toBe('vit-mnist-super');
    expect(summary.data).toEqual({ package: '@attnzoo/data-fashion-mnist-mini', train: 96, test: 200 });
    // 96 images in batches of 64: 2 steps, the same for both runs.
    expect(summary.steps).toBe(2);
    expect(summary.pretrained.steps).toBe(2);
    expect(summary.scratch.steps).toBe(2);
    expect(summary.gain).toBeCloseTo(summary.pretrained.accuracy - summary.scratch.accuracy, 12);
    for (const run of [summary.pretrained, summary.scratch]) {
      expect(run.accuracy).toBeGreaterThanOrEqual(0);
      expect(run.accuracy).toBeLessThanOrEqual(1);
    }
    expect(summary.preset).toBe(out);
    const saved = await ImageClassifier.fromPretrained(out);
    expect(saved.classNames).toEqual([...FASHION_MNIST_CLASSES]);
    expect(saved.metadata?.metrics?.[0]).toMatchObject({ name: 'accuracy', split: 'test' });
    expect(saved.metadata?.metrics?.[0].value).toBeCloseTo(summary.pretrained.accuracy, 3);
    saved.dispose();
  });

  it('prints both accuracies, the difference and where the preset went', async () => {
    const lines = comparisonReport(
      {
        pretrained: { accuracy: 0.756 } as never,
        scratch: { accuracy: 0.664 } as never,
        gain: 0.756 - 0.664,
      },
      { testImages: 1000, steps: 80, backend: 'wasm', seconds: 95 },
    );
    expect(lines[0]).toBe(
      'Fashion-MNIST test accuracy (1,000 images, 80 training steps each, backend wasm, 1 min 35 s in all):',
    );
    expect(lines[1]).toMatch(/pretrained on MNIST, then fine-tuned +75\.6 %$/);
    expect(lines[2]).toMatch(/same ViT trained from scratch +66\.4 %$/);
    expect(lines[3]).toBe('  pretraining is worth 9.2 points of test accuracy at this budget');
    const worse = comparisonReport(
      { pretrained: { accuracy: 0.5 } as never, scratch: { accuracy: 0.52 } as never, gain: -0.02 },
      { testImages: 1000, steps: 80, backend: 'wasm', seconds: 5 },
    );
    expect(worse[3]).toBe('  pretraining cost 2.0 points of test accuracy at this budget');
  });

  it('refuses more training images than the subset has, and a preset that is not an image classifier', async () => {
    const big = await cli('quickstart', '--train-size', '601', '--backend', 'cpu');
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(/--train-size 601: @attnzoo\/data-fashion-mnist-mini has 600 images/);
    const r = await cli('quickstart', '--from', 'textcls-imdb-super', '--backend', 'cpu');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/textcls-imdb-super/);
  });
});

describe('attnzoo bench attention', () => {
  it('writes JSON and a markdown table with ratios to SDPA', async () => {
    const out = await mkdtemp(join(tmpdir(), 'attnzoo-bench-'));
    const r = await cli(
      'bench',
      'attention',
      '--backend',
      'cpu',
      '--batch',
      '2',
      '--lengths',
      '8',
      '--widths',
      '16',
      '--repeats',
      '1',
      '--warmup',
      '0',
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(await readFile(join(out, 'attention-cpu.json'), 'utf8'));
    expect(json.rows.map((row: { variant: string }) => row.variant)).toEqual([
      'sdpa',
      'optimised',
      'efficient',
      'super',
    ]);
    expect(json.rows[0].forwardRatioToSdpa).toBe(1);
    expect(json.rows.map((row: { parameters: number }) => row.parameters)).toEqual([
      4 * 272,
      3 * 272,
      2 * 272,
      2 * 272 + 64,
    ]);
    const md = await readFile(join(out, 'attention-cpu.md'), 'utf8');
    expect(md).toContain('| variant | L | d | heads | params |');
    expect(md).toContain('Command: `attnzoo bench attention --backend cpu');
  });
});

describe('attnzoo bench train', () => {
  it('trains every variant through @attnzoo/train on the software WebGPU adapter', async () => {
    // Regression: with tfjs 4.22's relabelling int→float cast, this failed to compile a
    // Transpose shader and the first step's loss was NaN (seen on an H200 first).
    const out = await mkdtemp(join(tmpdir(), 'attnzoo-bench-train-'));
    const r = await cli(
      'bench',
      'train',
      '--backend',
      'webgpu',
      '--webgpu-adapter',
      'software',
      '--batch',
      '2',
      '--length',
      '8',
      '--width',
      '16',
      '--blocks',
      '1',
      '--steps',
      '1',
      '--warmup',
      '1',
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(await readFile(join(out, 'train-webgpu.json'), 'utf8'));
    expect(json.rows.map((row: { variant: string }) => row.variant)).toEqual([
      'sdpa',
      'optimised',
      'efficient',
      'super',
    ]);
    for (const row of json.rows) expect(row.stepsPerSecond).toBeGreaterThan(0);
  });

  it('with --stock-wasm-kernels times the stock wasm kernels too, and refuses other backends', async () => {
    const out = await mkdtemp(join(tmpdir(), 'attnzoo-bench-train-stock-'));
    const tiny = ['--batch', '2', '--length', '8', '--width', '16', '--blocks', '1', '--steps', '1'];
    const r = await cli(
      'bench',
      'train',
      '--backend',
      'wasm',
      ...tiny,
      '--warmup',
      '1',
      '--stock-wasm-kernels',
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(await readFile(join(out, 'train-wasm.json'), 'utf8'));
    for (const row of json.rows) {
      expect(row.stockStepsPerSecond).toBeGreaterThan(0);
      expect(row.speedupOverStock).toBeCloseTo(row.stepsPerSecond / row.stockStepsPerSecond, 6);
    }
    expect(await readFile(join(out, 'train-wasm.md'), 'utf8')).toContain('| speed / stock |');
    const bad = await cli(
      'bench',
      'train',
      '--backend',
      'cpu',
      ...tiny,
      '--stock-wasm-kernels',
      '--out',
      out,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--stock-wasm-kernels compares wasm kernels: add --backend wasm');
  });
});

describe('usage errors', () => {
  it('prints the command list for --help', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('attnzoo quickstart');
    expect(r.stdout).toContain('attnzoo bench attention');
  });

  it('prints each command’s options for --help', async () => {
    const r = await cli('bench', 'attention', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--lengths <value>');
  });

  it('exits 2 with one line for an unknown command', async () => {
    const r = await cli('train-everything');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "attnzoo: unknown command 'train-everything'. Run 'attnzoo --help' for the list of commands.",
    );
  });

  it('exits 2 for an unknown flag and a bad number', async () => {
    const flag = await cli('quickstart', '--epoch', '3');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/Unknown option '--epoch'.*attnzoo quickstart --help/);
    const number = await cli('bench', 'attention', '--lengths', '64,abc');
    expect(number.code).toBe(2);
    expect(number.stderr).toBe(
      'attnzoo: --lengths must be a comma-separated list of positive integers, got "64,abc".',
    );
  });

  it('exits 1 naming the fix when a requested backend is missing', async () => {
    const r = await cli('bench', 'attention', '--backend', 'tensorflow', '--lengths', '8', '--widths', '16');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Backend "tensorflow" was requested but is not available: .*--backend/);
  });
});
