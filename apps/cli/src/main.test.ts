import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cli } from './testing/run-cli';

afterEach(() => vi.restoreAllMocks());

describe('attnzoo quickstart', () => {
  it('fine-tunes the pretrained vit-mnist-super on a real MNIST slice and reports accuracy before and after', async () => {
    const r = await cli(
      'quickstart',
      '--backend',
      'wasm',
      '--train-size',
      '512',
      '--test-size',
      '300',
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.backend).toBe('wasm');
    expect(summary.from).toBe('vit-mnist-super');
    expect(summary.variant).toBe('super');
    expect(summary.epochs).toHaveLength(1);
    expect(Number.isFinite(summary.epochs[0].loss)).toBe(true);
    // The release scored 94.2 % on the first 1,000 test images; a slice of them with its released
    // weights, then after a short fine-tune at a small learning rate, stays far above chance (10 %).
    expect(summary.before.accuracy).toBeGreaterThan(0.85);
    expect(summary.test.accuracy).toBeGreaterThan(0.85);
    expect(summary.attentionParameters).toBeGreaterThan(0);
  });

  it('refuses a preset that is not an MNIST classifier, saying what to use instead', async () => {
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
