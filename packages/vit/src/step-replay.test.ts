import type { ImageSplit } from '@attnzoo/datasets';
import { selectBackend } from '@attnzoo/runtime';
import { type BatchLogs, setStepReplay, type TrainResult } from '@attnzoo/train';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImageData } from './datasets-node';
import { ImageClassifier } from './node';
import { head, tinyBackbone } from './testing/setup';

// A replayed step runs the captured kernels on the same buffers with new inputs and seeds: the
// same seed must give the same losses and weights as op-by-op steps (real MNIST, software adapter).
describe('step replay (webgpu, software adapter)', () => {
  let train: ImageSplit;
  beforeAll(async () => {
    await selectBackend(tf, { backend: 'webgpu', webgpu: { adapter: 'software' }, log: () => {} });
    const data = await loadImageData('mnist', { splits: ['train'] });
    train = head(data.train!, 320);
  });
  afterAll(() => setStepReplay(true));

  const run = async (replay: boolean) => {
    setStepReplay(replay);
    const clf = ImageClassifier.create({
      backbone: { ...tinyBackbone('super'), dropout: 0.1, attentionDropout: 0.1 },
      preprocessor: { imageSize: 28, channels: 1, mean: [0.1307], std: [0.3081] },
      numClasses: 10,
      headDropout: 0.1,
    });
    const losses: number[] = [];
    const result: TrainResult = await clf.fit({
      train,
      epochs: 2,
      batchSize: 64,
      lr: 3e-3,
      seed: 5,
      callbacks: [{ onBatchEnd: (l: BatchLogs) => void losses.push(l.loss) }],
    });
    const weights = await Promise.all(clf.model.weights.map((w) => w.read().data()));
    const tensors = tf.memory().numTensors;
    clf.dispose();
    return { losses, result, weights, tensors };
  };

  it('gives the same losses and weights as op-by-op steps', async () => {
    const eager = await run(false);
    const replayed = await run(true);
    expect(eager.result.stepReplay).toBeUndefined();
    const report = replayed.result.stepReplay!;
    expect(report.fallbacks).toEqual([]);
    expect(report.replayed).toBeGreaterThan(5);
    expect(report.replayed + report.eager).toBe(10);
    expect(replayed.losses).toEqual(eager.losses);
    for (const [i, w] of replayed.weights.entries()) {
      expect(Array.from(w), `weight ${i}`).toEqual(Array.from(eager.weights[i]));
    }
  });
});
