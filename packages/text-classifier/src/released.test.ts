import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset, type TextSplit } from '@attnzoo/datasets/node';
import { selectBackend } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TextClassifier } from './node';
import { AMAZON, imdb, repoRoot, spread } from './testing/fixtures';

// Every released preset under models/textcls-* is evaluated on a fixed slice of real data and
// must stay above a threshold just under the accuracy its card reports (0.06 below: a 300-review
// slice has a standard error of about 2 points).
const SLICE = 300;
const MARGIN = 0.06;
// ATTNZOO_TEXTCLS_MODELS points the test at another folder (to check unpacked tars before committing them).
const modelsDir = process.env.ATTNZOO_TEXTCLS_MODELS ?? join(repoRoot, 'models');
const releases = existsSync(modelsDir)
  ? readdirSync(modelsDir)
      .filter((d) => d.startsWith('textcls-'))
      .sort()
  : [];

beforeAll(async () => {
  await selectBackend(tf, { backend: 'wasm', log: () => {} });
});

describe('released text classifiers', () => {
  it('every models/textcls-* folder is a model-release package with a preset and a measured test accuracy', () => {
    for (const r of releases) {
      const pkg = JSON.parse(readFileSync(join(modelsDir, r, 'package.json'), 'utf8'));
      expect(pkg.name).toBe(`@attnzoo/model-${r}`);
      expect(pkg.peerDependencies?.['@attnzoo/text-classifier']).toMatch(/^\^\d+\.\d+\.\d+$/);
      const meta = JSON.parse(readFileSync(join(modelsDir, r, 'preset', 'metadata.json'), 'utf8'));
      const acc = meta.metrics?.find(
        (m: { name: string; split?: string }) => m.name === 'accuracy' && m.split?.startsWith('test'),
      );
      expect(acc?.value, `${r} reports a test accuracy`).toBeGreaterThan(0.5);
      expect(meta.description).not.toMatch(/SMOKE RUN/);
    }
    expect(releases.every((r) => /^textcls-(imdb|amazon)-(sdpa|optimised|efficient|super)$/.test(r))).toBe(
      true,
    );
  });

  it.each(
    releases,
  )('%s: accuracy on a slice of its test split stays above the measured value minus 0.06', async (r) => {
    const clf = await TextClassifier.fromPretrained(join(modelsDir, r, 'preset'));
    const meta = JSON.parse(readFileSync(join(modelsDir, r, 'preset', 'metadata.json'), 'utf8'));
    const measured = meta.metrics.find(
      (m: { name: string; split?: string }) => m.name === 'accuracy' && m.split?.startsWith('test'),
    ).value;
    let test: TextSplit;
    if (r.startsWith('textcls-imdb')) test = spread((await imdb()).test, SLICE);
    else
      test = spread(
        (await loadDataset('amazon-multidomain', { source: AMAZON, seed: 42 })).test as TextSplit,
        SLICE,
      );
    const e = await clf.evaluate(test);
    expect(e.count).toBe(SLICE);
    expect(e.accuracy).toBeGreaterThan(measured - MARGIN);
    clf.dispose();
  });
});
