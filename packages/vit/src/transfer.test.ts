import type { ImageSplit } from '@attnzoo/datasets';
import type * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { HEAD_LAYER, ImageClassifier } from './classifier';
import { tinyBackbone, useTestBackend } from './testing/setup';
import { compareWithScratch, scratchLike, type TransferRunName, transferTrainingPlan } from './transfer';

beforeAll(useTestBackend);

const NAMES = ['left', 'middle', 'right'];

/** A "pretrained" tiny ViT for 10 classes (random weights from `seed`: the tests need only distinct weights). */
function pretrainedTiny(seed: number): ImageClassifier {
  return ImageClassifier.create({
    backbone: { ...tinyBackbone('super'), seed },
    preprocessor: { imageSize: 28, channels: 1 },
    numClasses: 10,
  });
}

/** Three classes told apart by where a vertical bar is, with a little seeded noise. */
function bars(count: number, seed: number): ImageSplit {
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  let s = seed;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  for (let i = 0; i < count; i++) {
    const c = i % 3;
    labels[i] = c;
    const x = 5 + 9 * c + Math.floor(rand() * 3);
    for (let y = 4; y < 24; y++) images[i * 784 + y * 28 + x] = 200 + Math.floor(rand() * 55);
  }
  return { kind: 'images', images, labels, count, height: 28, width: 28, channels: 1, classNames: NAMES };
}

function weightsOf(c: ImageClassifier, layer: string): Float32Array[] {
  return c.model
    .getLayer(layer)
    .getWeights()
    .map((w: tf.Tensor) => w.dataSync() as Float32Array);
}

function backboneLayer(c: ImageClassifier): string {
  const names = c.model.layers.map((l) => l.name);
  const name = names.find((n) => n !== 'images' && n !== HEAD_LAYER && c.model.getLayer(n).countParams() > 0);
  if (!name) throw new Error(`no backbone layer with weights in ${names.join(', ')}`);
  return name;
}

describe('scratchLike', () => {
  it('is the same architecture with fresh backbone weights and the same initial head as the new pretrained head', () => {
    const pretrained = pretrainedTiny(5);
    const fineTuned = pretrained.withNewHead(3, NAMES, 1 + 99);
    const scratch = scratchLike(fineTuned, 3, NAMES, 1);
    expect(scratch.config.backbone).toEqual({ ...fineTuned.config.backbone, seed: 1 });
    expect(scratch.config.preprocessor).toEqual(fineTuned.config.preprocessor);
    expect(scratch.classNames).toEqual(NAMES);
    expect(scratch.model.countParams()).toBe(fineTuned.model.countParams());
    const shapes = (c: ImageClassifier) => c.model.weights.map((w) => w.shape.join('x'));
    expect(shapes(scratch)).toEqual(shapes(fineTuned));
    expect(weightsOf(scratch, HEAD_LAYER)).toEqual(weightsOf(fineTuned, HEAD_LAYER));
    const layer = backboneLayer(fineTuned);
    expect(weightsOf(scratch, layer)).not.toEqual(weightsOf(fineTuned, layer));
    scratch.dispose();
    fineTuned.dispose();
  });
});

describe('compareWithScratch', () => {
  const train = bars(48, 1);
  const test = bars(30, 2);
  const settings = { train, test, epochs: 2, batchSize: 16, lr: 1e-2, seed: 1 };

  it('trains both with the same steps and data, reports the difference, and the scratch run owes nothing to the pretrained weights', async () => {
    const started: TransferRunName[] = [];
    const evaluated: [TransferRunName, number, number | undefined][] = [];
    const first = pretrainedTiny(5);
    const initialBackbone = weightsOf(first, backboneLayer(first));
    const a = await compareWithScratch({
      ...settings,
      pretrained: first,
      onRunStart: (run, info) => {
        started.push(run);
        expect(info.steps).toBe(6);
      },
      onEvaluate: (run, done, total) => evaluated.push([run, done, total]),
    });
    const b = await compareWithScratch({ ...settings, pretrained: pretrainedTiny(6) });

    expect(transferTrainingPlan(settings)).toEqual({ stepsPerEpoch: 3, steps: 6 });
    expect(started).toEqual(['pretrained', 'scratch']);
    expect(evaluated).toEqual([
      ['pretrained', 1, 1],
      ['scratch', 1, 1],
    ]);
    for (const r of [a, b]) {
      expect(r.pretrained.steps).toBe(6);
      expect(r.scratch.steps).toBe(6);
      expect(r.gain).toBeCloseTo(r.pretrained.accuracy - r.scratch.accuracy, 12);
      for (const run of [r.pretrained, r.scratch]) {
        expect(run.accuracy).toBeGreaterThanOrEqual(0);
        expect(run.accuracy).toBeLessThanOrEqual(1);
        expect(Number.isFinite(run.loss) && Number.isFinite(run.trainLoss)).toBe(true);
      }
    }
    // Same seed, data and steps, different pretrained weights: the scratch runs are identical,
    // the fine-tuned ones are not (they start from the weights they were given).
    expect(b.scratch).toMatchObject({
      loss: a.scratch.loss,
      accuracy: a.scratch.accuracy,
      trainLoss: a.scratch.trainLoss,
    });
    expect(b.pretrained.loss).not.toBe(a.pretrained.loss);

    // The fine-tuned classifier: the new label set, and backbone weights moved from where they started.
    expect(a.fineTuned.classNames).toEqual(NAMES);
    expect(a.fineTuned.model.outputs[0].shape).toEqual([null, 3]);
    expect(weightsOf(a.fineTuned, backboneLayer(a.fineTuned))).not.toEqual(initialBackbone);
    a.fineTuned.dispose();
    b.fineTuned.dispose();
  });
});
