import type { ImageSplit } from '@attnzoo/datasets';
import type { Callback, LearningRate, StepReplayReport } from '@attnzoo/train';
import { ImageClassifier } from './classifier';

/** The two runs of a comparison: fine-tuning the pretrained backbone, and the same ViT from random weights. */
export type TransferRunName = 'pretrained' | 'scratch';

export interface TransferComparisonOptions {
  /**
   * The pretrained classifier. Its backbone is fine-tuned under a new head for the data's classes;
   * do not use this object afterwards (the fine-tuned classifier is returned).
   */
  pretrained: ImageClassifier;
  train: ImageSplit;
  test: ImageSplit;
  epochs: number;
  batchSize: number;
  /** Peak learning rate (warm-up then cosine) or a schedule, for both runs. */
  lr: LearningRate;
  /** Seeds the scratch backbone, both new heads (the same initial head), data order and augmentation. */
  seed: number;
  weightDecay?: number;
  warmupFraction?: number;
  /** Called as each run starts (pretrained first). */
  onRunStart?: (run: TransferRunName, info: { steps: number }) => void;
  /** Training callbacks of a run (e.g. a progress bar). */
  callbacks?: (run: TransferRunName) => Callback[];
  /** Test evaluation progress of a run: batches done and in all. */
  onEvaluate?: (run: TransferRunName, done: number, total: number | undefined) => void;
  /** Called with each run's result as soon as it is measured. */
  onRunEnd?: (run: TransferRunName, result: TransferRun) => void;
}

export interface TransferRun {
  /** Test accuracy and loss after training. */
  accuracy: number;
  loss: number;
  /** Mean training loss of the last epoch. */
  trainLoss: number;
  /** Optimizer steps taken. */
  steps: number;
  trainSeconds: number;
  /** On webgpu: steps replayed and run op by op (TrainResult.stepReplay). */
  stepReplay?: StepReplayReport;
}

export interface TransferComparison {
  pretrained: TransferRun;
  scratch: TransferRun;
  /** Test accuracy of the fine-tuned pretrained model minus that of the scratch model (a fraction). */
  gain: number;
  /** The fine-tuned classifier (pretrained backbone, new head); the scratch one is disposed. */
  fineTuned: ImageClassifier;
}

/** The settings both runs share: one definition, so that they cannot drift apart. */
export function transferTrainingPlan(o: Pick<TransferComparisonOptions, 'train' | 'epochs' | 'batchSize'>): {
  stepsPerEpoch: number;
  steps: number;
} {
  const stepsPerEpoch = Math.ceil(o.train.count / o.batchSize);
  return { stepsPerEpoch, steps: stepsPerEpoch * o.epochs };
}

/**
 * The same architecture with random weights, for a data set's classes: the pretrained backbone's
 * configuration with `seed`, the preprocessor unchanged, and a head initialised exactly as
 * `pretrained.withNewHead(numClasses, classNames, seed + 99)` initialises the pretrained one's.
 */
export function scratchLike(
  pretrained: ImageClassifier,
  numClasses: number,
  classNames: string[] | undefined,
  seed: number,
): ImageClassifier {
  const { backbone, preprocessor } = pretrained.config;
  return ImageClassifier.create({ backbone: { ...backbone, seed }, preprocessor, numClasses, classNames });
}

/**
 * Does pretraining help on this task? Fine-tunes the pretrained backbone with a new head, then
 * trains the same architecture from random weights with the same budget: the same steps, data,
 * data order, augmentation, learning-rate schedule and initial head. Both are measured on `test`.
 */
export async function compareWithScratch(o: TransferComparisonOptions): Promise<TransferComparison> {
  const names = o.train.classNames ? [...o.train.classNames] : undefined;
  const numClasses = names?.length ?? Math.max(...o.train.labels) + 1;
  const { steps } = transferTrainingPlan(o);
  const fineTuned = o.pretrained.withNewHead(numClasses, names, o.seed + 99);
  const pretrained = await trainAndTest(fineTuned, 'pretrained', steps, o);
  const fromScratch = scratchLike(fineTuned, numClasses, names, o.seed);
  try {
    const scratch = await trainAndTest(fromScratch, 'scratch', steps, o);
    return { pretrained, scratch, gain: pretrained.accuracy - scratch.accuracy, fineTuned };
  } finally {
    fromScratch.dispose();
  }
}

async function trainAndTest(
  classifier: ImageClassifier,
  run: TransferRunName,
  steps: number,
  o: TransferComparisonOptions,
): Promise<TransferRun> {
  o.onRunStart?.(run, { steps });
  const t0 = performance.now();
  const result = await classifier.fit({
    train: o.train,
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr: o.lr,
    weightDecay: o.weightDecay ?? 1e-4,
    warmupFraction: o.warmupFraction ?? 0.1,
    seed: o.seed,
    callbacks: o.callbacks?.(run) ?? [],
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  const test = await classifier.evaluate(o.test, { onBatch: (d, t) => o.onEvaluate?.(run, d, t) });
  const last = result.history[result.history.length - 1];
  const out: TransferRun = {
    accuracy: test.accuracy,
    loss: test.loss,
    trainLoss: last?.loss ?? Number.NaN,
    steps: result.history.reduce((n, h) => Math.max(n, h.step), 0),
    trainSeconds,
    ...(result.stepReplay ? { stepReplay: result.stepReplay } : {}),
  };
  o.onRunEnd?.(run, out);
  return out;
}
