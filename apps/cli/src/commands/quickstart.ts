import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelCost } from '@attnzoo/attention';
import { FASHION_MNIST_CLASSES, loadFashionMnistMini } from '@attnzoo/data-fashion-mnist-mini';
import { type ImageSplit, seededPermutation, selectExamples } from '@attnzoo/datasets';
import type { PresetMetadata } from '@attnzoo/hub';
import type { Callback, EpochLogs } from '@attnzoo/train';
import {
  compareWithScratch,
  ImageClassifier,
  saveClassifier,
  type TransferComparison,
  type TransferRunName,
  transferTrainingPlan,
} from '@attnzoo/vit/node';
import { chooseBackend } from '../backend';
import { UsageError } from '../command';

export interface QuickstartOptions {
  backend?: string;
  webgpuAdapter?: string;
  /** A pretrained ViT for 28×28 grey images: preset name, installed release package or folder. */
  from: string;
  epochs: number;
  /** Training images of the subset to use (all of them by default). */
  trainSize?: number;
  testSize?: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Where the fine-tuned preset is written. */
  out: string;
  json: boolean;
  /** The command line, recorded in the preset's card. */
  command: string;
}

export const QUICKSTART_DEFAULTS = {
  from: 'vit-mnist-super',
  epochs: 8,
  batchSize: 64,
  lr: 3e-3,
  seed: 1,
  out: 'attnzoo-quickstart/vit-fashion-mnist-mini',
} as const;

const DATA_PACKAGE = '@attnzoo/data-fashion-mnist-mini';

/**
 * `attnzoo quickstart`: what pretrained weights are worth on a task the model never saw. Loads
 * the vit-mnist-super release (trained on MNIST digits; a dependency of the CLI), gives it a new
 * head for Fashion-MNIST clothing and fine-tunes it on a small subset shipped as a package, then
 * trains the same ViT from random weights with the same steps, data order and seed, and prints
 * both test accuracies. The fine-tuned model is saved as a preset.
 */
export async function quickstart(o: QuickstartOptions): Promise<void> {
  const started = performance.now();
  const choice = await chooseBackend(o.backend, o.webgpuAdapter);
  const print = o.json ? () => {} : (line = '') => console.log(line);
  // Release packages are looked up from the working folder first, then from the CLI's own
  // dependencies (where `pnpm quickstart` in a clone finds @attnzoo/model-vit-mnist-*).
  const cliFolder = dirname(fileURLToPath(import.meta.url));
  const pretrained = await loadPretrained(o.from, cliFolder);
  const data = loadFashionMnistMini();
  const train = seededSubset(data.train, o.trainSize, o.seed, 'train-size');
  const test = seededSubset(data.test, o.testSize, o.seed + 1, 'test-size');
  const { stepsPerEpoch, steps } = transferTrainingPlan({ train, epochs: o.epochs, batchSize: o.batchSize });
  const name = pretrained.metadata?.name ?? o.from;
  const cost = modelCost(pretrained.model);
  const variant = pretrained.config.backbone.variant;

  print('Does pretraining help on a task the model never saw?');
  print(
    `  pretrained: ${name}, a ViT with ${variant} attention (${fmtInt(cost.totalParameters)} parameters) trained on MNIST digits`,
  );
  print(
    `  new task:   Fashion-MNIST clothing, ${FASHION_MNIST_CLASSES.length} classes (${DATA_PACKAGE}): ` +
      `${fmtInt(train.count)} training and ${fmtInt(test.count)} test images`,
  );
  print(
    `  budget:     ${plural(o.epochs, 'epoch')} × ${plural(stepsPerEpoch, 'step')} of ${o.batchSize} images = ${plural(steps, 'step')} for each model, ` +
      `same data order, augmentation and seed, peak learning rate ${o.lr}`,
  );

  const tty = !o.json && Boolean(process.stdout.isTTY);
  const titles: Record<TransferRunName, string> = {
    pretrained: `[1/2] ${name} with a new ${FASHION_MNIST_CLASSES.length}-class head, fine-tuned`,
    scratch: '[2/2] the same ViT from random weights, trained from scratch',
  };
  let comparison: TransferComparison;
  try {
    comparison = await compareWithScratch({
      pretrained,
      train,
      test,
      epochs: o.epochs,
      batchSize: o.batchSize,
      lr: o.lr,
      seed: o.seed,
      onRunStart: (run) => print(titles[run]),
      callbacks: () => (o.json ? [] : [epochProgress(o.epochs, stepsPerEpoch, tty)]),
      onEvaluate: (_run, done, total) => {
        if (tty)
          process.stdout.write(
            `\r\x1b[2K      testing ${bar(done / (total ?? done))} ${done}/${total ?? '?'} batches`,
          );
      },
      onRunEnd: (_run, r) => {
        if (tty) process.stdout.write('\r\x1b[2K');
        print(
          `      test accuracy ${pct(r.accuracy)} on ${fmtInt(test.count)} images (${r.steps} steps, ${fmtSeconds(r.trainSeconds)})`,
        );
      },
    });
  } catch (error) {
    pretrained.dispose();
    throw error;
  }
  const { fineTuned } = comparison;
  try {
    const seconds = (performance.now() - started) / 1000;
    const out = resolve(o.out);
    await saveClassifier(
      fineTuned,
      out,
      presetMetadata(name, o, comparison, test.count, choice.backend, seconds),
      {
        overwrite: true,
      },
    );
    const summary = {
      backend: choice.backend,
      from: name,
      variant,
      parameters: cost.totalParameters,
      data: { package: DATA_PACKAGE, train: train.count, test: test.count },
      epochs: o.epochs,
      steps,
      batchSize: o.batchSize,
      lr: o.lr,
      seed: o.seed,
      pretrained: comparison.pretrained,
      scratch: comparison.scratch,
      gain: comparison.gain,
      seconds,
      preset: out,
    };
    if (o.json) {
      console.log(JSON.stringify(summary, null, 2));
      return;
    }
    print();
    for (const line of comparisonReport(comparison, {
      testImages: test.count,
      steps,
      backend: choice.backend,
      seconds,
    }))
      print(line);
    print(`Fine-tuned preset written to ${out}`);
    print(`  load it with ImageClassifier.fromPretrained(${JSON.stringify(out)}) from '@attnzoo/vit/node'`);
  } finally {
    fineTuned.dispose();
  }
}

/** The result lines: both accuracies, the difference, steps and wall time. */
export function comparisonReport(
  c: Pick<TransferComparison, 'pretrained' | 'scratch' | 'gain'>,
  at: { testImages: number; steps: number; backend: string; seconds: number },
): string[] {
  const points = 100 * c.gain;
  const verdict =
    Math.abs(points) < 0.05
      ? 'pretraining made no difference at this budget'
      : points > 0
        ? `pretraining is worth ${points.toFixed(1)} points of test accuracy at this budget`
        : `pretraining cost ${(-points).toFixed(1)} points of test accuracy at this budget`;
  return [
    `Fashion-MNIST test accuracy (${fmtInt(at.testImages)} images, ${at.steps} training steps each, backend ${at.backend}, ${fmtSeconds(at.seconds)} in all):`,
    `  pretrained on MNIST, then fine-tuned   ${pct(c.pretrained.accuracy).padStart(7)}`,
    `  same ViT trained from scratch          ${pct(c.scratch.accuracy).padStart(7)}`,
    `  ${verdict}`,
  ];
}

/** `count` examples of a split picked by a seeded permutation (kept in the split's order); all when undefined. */
export function seededSubset(
  split: ImageSplit,
  count: number | undefined,
  seed: number,
  flag: string,
): ImageSplit {
  if (count === undefined || count === split.count) return split;
  if (count > split.count) {
    throw new UsageError(`--${flag} ${count}: ${DATA_PACKAGE} has ${split.count} images in that split.`);
  }
  const picked = Array.from(seededPermutation(split.count, seed).subarray(0, count)).sort((a, b) => a - b);
  return selectExamples(split, picked);
}

function presetMetadata(
  from: string,
  o: QuickstartOptions,
  c: TransferComparison,
  testImages: number,
  backend: string,
  seconds: number,
): PresetMetadata {
  const cost = modelCost(c.fineTuned.model);
  return {
    name: 'vit-fashion-mnist-mini',
    description: `${from} (pretrained on MNIST) fine-tuned with a new head on the Fashion-MNIST subset of ${DATA_PACKAGE}.`,
    task: 'image-classification',
    license: 'Apache-2.0',
    parameters: { total: cost.totalParameters, attention: cost.attentionParameters },
    dataset: {
      name: 'Fashion-MNIST (subset)',
      url: 'https://github.com/zalandoresearch/fashion-mnist',
      split: 'test',
      description: `${testImages} test images of ${DATA_PACKAGE}`,
    },
    metrics: [
      { name: 'accuracy', value: round4(c.pretrained.accuracy), split: 'test', command: o.command },
      {
        name: 'accuracy (same ViT trained from scratch, same steps)',
        value: round4(c.scratch.accuracy),
        split: 'test',
        command: o.command,
      },
    ],
    training: {
      config: { from, epochs: o.epochs, batchSize: o.batchSize, peakLr: o.lr, seed: o.seed },
      durationSeconds: Math.round(c.pretrained.trainSeconds),
      backend,
    },
    reproduce: o.command,
    quickstartSeconds: Math.round(seconds),
  };
}

/** Per-epoch progress of a run: a bar redrawn in place on a terminal, one line per epoch otherwise. */
function epochProgress(epochs: number, stepsPerEpoch: number, tty: boolean): Callback {
  let started = 0;
  return {
    onTrainBegin() {
      started = performance.now();
    },
    onBatchEnd(logs) {
      if (!tty) return;
      const done = logs.epoch * stepsPerEpoch + logs.batch + 1;
      const total = epochs * stepsPerEpoch;
      const elapsed = (performance.now() - started) / 1000;
      const left = (elapsed / done) * (total - done);
      process.stdout.write(
        `\r\x1b[2K      training ${bar(done / total)} step ${done}/${total} loss ${logs.loss.toFixed(3)} ${fmtSeconds(left)} left`,
      );
    },
    onEpochEnd(logs: EpochLogs) {
      if (tty) {
        if (logs.epoch + 1 === epochs) process.stdout.write('\r\x1b[2K');
        return;
      }
      console.log(
        `      epoch ${logs.epoch + 1}/${epochs}: loss ${logs.loss.toFixed(3)}, training accuracy ${pct(logs.accuracy)}, ` +
          `${Math.round(logs.examplesPerSecond)} images/s`,
      );
    },
  };
}

function bar(fraction: number, width = 20): string {
  const f = Math.max(0, Math.min(1, fraction));
  return `[${'='.repeat(Math.round(f * width)).padEnd(width, ' ')}]`;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const round4 = (x: number) => Math.round(x * 1e4) / 1e4;
const fmtInt = (n: number) => n.toLocaleString('en-US');

function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  const r = Math.round(s - 60 * m);
  return m > 0 ? `${m} min ${String(r).padStart(2, '0')} s` : `${Math.round(s)} s`;
}

async function loadPretrained(from: string, cliFolder: string): Promise<ImageClassifier> {
  const classifier = await ImageClassifier.fromPretrained(from, { resolveFrom: cliFolder } as never);
  const { imageSize, channels } = classifier.preprocessor.config;
  if (imageSize !== 28 || channels !== 1) {
    classifier.dispose();
    throw new Error(
      `${from} takes ${imageSize}×${imageSize}×${channels} images; the quickstart fine-tunes on Fashion-MNIST (28×28 grey): ` +
        'pick a vit-mnist-* preset, or use `attnzoo finetune vit` for other data.',
    );
  }
  return classifier;
}
