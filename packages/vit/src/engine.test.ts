import type { ImageSplit } from '@attnzoo/datasets';
import { selectBackend, setWebGPUGemm, webgpuCensus } from '@attnzoo/runtime';
import type { BatchLogs } from '@attnzoo/train';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImageData } from './datasets-node';
import { ImageClassifier } from './node';
import { head, tinyBackbone } from './testing/setup';

// attnzoo's WebGPU products change how sums are ordered, not what is computed: the same seed
// must train to the same losses and accuracy with them on and off (real MNIST, software adapter).
describe('training with attnzoo products on and off (webgpu, software adapter)', () => {
  let train: ImageSplit;
  let test: ImageSplit;
  beforeAll(async () => {
    await selectBackend(tf, { backend: 'webgpu', webgpu: { adapter: 'software' }, log: () => {} });
    const data = await loadImageData('mnist', { splits: ['train', 'test'] });
    train = head(data.train!, 384);
    test = head(data.test!, 256);
  });
  afterAll(() => setWebGPUGemm(true));

  const run = async (gemm: boolean) => {
    setWebGPUGemm(gemm);
    const clf = ImageClassifier.create({
      backbone: tinyBackbone('super'),
      preprocessor: { imageSize: 28, channels: 1, mean: [0.1307], std: [0.3081] },
      numClasses: 10,
    });
    const losses: number[] = [];
    const { census } = await webgpuCensus(tf, () =>
      clf.fit({
        train,
        epochs: 2,
        batchSize: 64,
        lr: 3e-3,
        seed: 5,
        callbacks: [{ onBatchEnd: (l: BatchLogs) => void losses.push(l.loss) }],
      }),
    );
    const { accuracy } = await clf.evaluate(test);
    clf.dispose();
    return {
      losses,
      accuracy,
      gemmDispatches: census.byKernel.filter((k) => k.kernel.startsWith('AttnzooGemm')),
    };
  };

  it('gives the same losses step by step and the same test accuracy', async () => {
    const on = await run(true);
    const off = await run(false);
    expect(on.gemmDispatches.length).toBeGreaterThan(0);
    expect(off.gemmDispatches).toEqual([]);
    expect(on.losses).toHaveLength(12);
    // It learns: the last losses are well below the first.
    expect(on.losses[11]).toBeLessThan(on.losses[0] - 0.3);
    for (let i = 0; i < on.losses.length; i++)
      expect(Math.abs(on.losses[i] - off.losses[i]), `step ${i}`).toBeLessThan(
        2e-3 * Math.max(1, off.losses[i]),
      );
    expect(Math.abs(on.accuracy - off.accuracy)).toBeLessThanOrEqual(2 / 256);
  });
});
