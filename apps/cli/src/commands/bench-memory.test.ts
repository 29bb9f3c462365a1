import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../testing/run-cli';
import { type MemorySample, trend } from './bench-memory';

const at = (i: number, rssMiB: number): MemorySample => ({
  at: i * 100,
  seconds: i,
  tensors: 5,
  tensorMiB: 1,
  rssMiB,
  heapMiB: 10,
});

describe('bench memory', () => {
  it('trend: leaves the warm-up sample out and fits the slope on the second half', () => {
    // warm-up 500, then flat at 200 for a while, then growing 1 MiB per sample of 100 inputs
    const samples = [
      at(0, 500),
      ...[0, 1, 2, 3].map((i) => at(i + 1, 200)),
      ...[1, 2, 3, 4].map((i) => at(i + 4, 200 + i)),
    ];
    const t = trend(samples, 'rssMiB');
    expect(t.first).toBe(200);
    expect(t.last).toBe(204);
    expect(t.max).toBe(204);
    expect(t.slopePer1000).toBeCloseTo(10, 6); // 1 MiB per 100 inputs
    expect(trend(samples, 'tensors').slopePer1000).toBe(0);
  });

  it('runs attnzoo predict and a fine-tuning run on wasm without leaking a tensor', async () => {
    const out = await mkdtemp(join(tmpdir(), 'attnzoo-bench-memory-'));
    const r = await cli(
      'bench',
      'memory',
      '--backend',
      'wasm',
      '--predict-inputs',
      '300',
      '--per-call',
      '100',
      '--epochs',
      '2',
      '--every',
      '5',
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(await readFile(join(out, 'memory-wasm.json'), 'utf8'));
    const predict = json.samples.predict as MemorySample[];
    const fineTune = json.samples.fineTune as MemorySample[];
    expect(predict.map((s) => s.at)).toEqual([0, 100, 200, 300]);
    // every predict call disposes what it loaded; fine-tuning steps hold the same tensors throughout
    for (const s of predict) expect(s.tensors).toBe(predict[0].tensors);
    expect(fineTune.length).toBeGreaterThan(3);
    for (const s of fineTune.slice(1)) expect(s.tensors).toBe(fineTune[1].tensors);
    expect(json.phases.map((p: { phase: string }) => p.phase)).toEqual(['predict', 'fine-tune']);
    expect(await readFile(join(out, 'memory-wasm.md'), 'utf8')).toContain(
      'Command: `attnzoo bench memory --backend wasm',
    );
  });

  it('--minutes fine-tunes in one fit until the time is up, whole epochs only', async () => {
    const out = await mkdtemp(join(tmpdir(), 'attnzoo-bench-memory-'));
    const r = await cli(
      'bench',
      'memory',
      '--backend',
      'wasm',
      '--predict-inputs',
      '100',
      '--minutes',
      '0.15',
      '--every',
      '5',
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(await readFile(join(out, 'memory-wasm.json'), 'utf8'));
    expect(json.command).toContain('--minutes 0.15');
    const fineTune = json.phases[1] as { count: number; seconds: number };
    // 600 images in batches of 64: 10 steps an epoch; it stopped long before its millionth epoch
    expect(fineTune.count).toBeGreaterThanOrEqual(10);
    expect(fineTune.count % 10).toBe(0);
    const epochs = fineTune.count / 10;
    expect(await readFile(join(out, 'memory-wasm.md'), 'utf8')).toContain(
      `one fit stopped after 0.15 minutes: ${epochs} epochs over 600`,
    );
  });
});
