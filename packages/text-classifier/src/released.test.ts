import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset, type TextSplit } from '@attnzoo/datasets/node';
import { samplingMargin, testData } from '@attnzoo/fixtures';
import { selectBackend } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TextClassifier } from './node';
import { AMAZON, imdb, repoRoot, spread } from './testing/fixtures';

// Every released preset under models/textcls-* is evaluated on up to 300 test reviews spread over
// its test split (all of them in the fixture slices) and must stay above the accuracy its card
// reports minus three standard errors of a sample that size (0.06 for 300 reviews, 0.18 for 48).
const SLICE = 300;
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
  )('%s: accuracy on a slice of its test split stays within sampling error of the measured value', async (r) => {
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
    expect(e.count).toBe(test.texts.length);
    expect(e.count).toBeGreaterThanOrEqual(Math.min(SLICE, 40));
    expect(e.accuracy, `${e.count} ${testData.kind} test reviews`).toBeGreaterThan(
      measured - samplingMargin(measured, e.count),
    );
    clf.dispose();
  });
});
