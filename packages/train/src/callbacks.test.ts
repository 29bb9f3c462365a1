import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accuracy, jsonlLog, progressBar, train } from './node';
import { blobSource, maxAbsDiff, tinyModel, useCpu, weightsOf } from './testing/helpers';

const dir = mkdtempSync(join(tmpdir(), 'attnzoo-train-'));
beforeAll(useCpu);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('callbacks', () => {
  it('progress: plain lines without a TTY, an in-place bar with ETA on one; JSONL: one line per epoch', async () => {
    const plain: string[] = [];
    const tty: string[] = [];
    const log = join(dir, 'logs', 'run.jsonl');
    const tr = blobSource(32, 8, 1);
    const va = blobSource(16, 8, 2);
    const model = tinyModel();
    await train({
      model,
      train: tr.source,
      validation: va.source,
      epochs: 3,
      metrics: [accuracy()],
      callbacks: [
        progressBar({ write: (s) => void plain.push(s), tty: false }),
        progressBar({ write: (s) => void tty.push(s), tty: true }),
        jsonlLog(log),
      ],
    });
    expect(plain).toHaveLength(3);
    expect(plain[0]).toMatch(/^epoch 1\/3 loss \d\.\d{4} accuracy .* val_loss .* val_accuracy .* ex\/s/);
    expect(plain.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
    expect(tty.filter((l) => l.startsWith('\r')).length).toBeGreaterThan(12);
    expect(tty.some((l) => /\[=+ *\] 2\/4 .*ETA \d+s/.test(l))).toBe(true);
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.epoch)).toEqual([0, 1, 2]);
    expect(typeof lines[2].val_accuracy).toBe('number');
    tr.dispose();
    va.dispose();
    model.dispose();
  });

  it('seeded dropout: without seedRandomOps two runs with one seed differ', async () => {
    const run = async () => {
      const tr = blobSource(32, 16, 1);
      const model = tinyModel({ dropout: 0.5 });
      await train({ model, train: tr.source, epochs: 1, seed: 1, seedRandomOps: false });
      const w = await weightsOf(model);
      tr.dispose();
      model.dispose();
      return w;
    };
    expect(maxAbsDiff(await run(), await run())).toBeGreaterThan(0);
  });
});
