import { type WebGPUCensus, webgpuCensus } from '@attnzoo/runtime';
import { stepTimer } from '@attnzoo/train';
import { ImageClassifier, RELEASE_RECIPES } from '@attnzoo/vit';
import * as tf from '@tensorflow/tfjs-core';

export interface StepProfile {
  preset: string;
  batchSize: number;
  /** Median wall time of a training step (forward, backward, clipping, AdamW, read-backs). */
  msPerStep: number;
  kernelsPerStep: number;
  /** Kernel launches of one step by op, with their GPU/CPU time where the backend can time them. */
  kernels: { name: string; count: number; ms: number }[];
  /** WebGPU only: one step's dispatches by program and its host uploads (a fit() of one batch). */
  webgpu?: WebGPUCensus;
}

/**
 * Where a training step's time goes: times `steps` steps of the preset's model on generated
 * images, then profiles one step kernel by kernel (tf.profile; on WebGPU kernel times need the
 * adapter's timestamp-query feature, otherwise they read 0).
 */
export async function profileTrainingStep(
  preset: string,
  batchSize: number,
  steps = 12,
): Promise<StepProfile> {
  const recipe = RELEASE_RECIPES[preset];
  if (!recipe)
    throw new Error(`Unknown preset ${preset}: use one of ${Object.keys(RELEASE_RECIPES).join(', ')}.`);
  const { imageSize: s, channels: c } = recipe.preprocessor;
  const count = batchSize * (steps + 4);
  const split = {
    kind: 'images' as const,
    count,
    height: s,
    width: s,
    channels: c,
    images: Uint8Array.from({ length: count * s * s * c }, (_, i) => (i * 2654435761) >>> 24),
    labels: Int32Array.from({ length: count }, (_, i) => i % recipe.numClasses),
  };
  const clf = ImageClassifier.create({
    backbone: recipe.backbone,
    preprocessor: recipe.preprocessor,
    numClasses: recipe.numClasses,
  });
  const timer = stepTimer(4); // the first steps compile kernels
  await clf.fit({ train: split, epochs: 1, batchSize, lr: 1e-4, callbacks: [timer.callback] });
  const oneStep = () => clf.fit({ train: split, epochs: 1, batchSize, trainLimit: batchSize, lr: 1e-4 });
  const info = await tf.profile(async () => {
    await oneStep();
    return [];
  });
  // On WebGPU the CPU cost per dispatch and upload sets the step time: count them for one step.
  const webgpu = tf.getBackend() === 'webgpu' ? (await webgpuCensus(tf, oneStep)).census : undefined;
  const byName = new Map<string, { count: number; ms: number }>();
  for (const k of info.kernels) {
    const e = byName.get(k.name) ?? { count: 0, ms: 0 };
    e.count += 1;
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    byName.set(k.name, e);
  }
  clf.dispose();
  return {
    preset,
    batchSize,
    msPerStep: 1000 * timer.secondsPerStep(),
    kernelsPerStep: info.kernels.length,
    kernels: [...byName]
      .map(([name, e]) => ({ name, ...e }))
      .sort((a, b) => b.ms - a.ms || b.count - a.count),
    ...(webgpu ? { webgpu } : {}),
  };
}
