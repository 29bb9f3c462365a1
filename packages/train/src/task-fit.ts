import type { CheckpointStore } from './checkpoint';
import { type LrSchedule, warmupCosineByFraction } from './schedule';
import type { Callback } from './trainer';

/**
 * A learning rate as every task's `fit` takes it: a number is the peak of a linear warm-up
 * (`warmupFraction` of the steps) followed by cosine decay; a function is the schedule itself.
 */
export type LearningRate = number | LrSchedule;

/**
 * The options every task's `fit` takes (`ImageClassifier`, `TextClassifier`, `Translator`):
 * a task adds what only it has (early stopping, BLEU on a validation slice, a time budget).
 * Defaults are the family's (its `FIT_DEFAULTS`).
 */
export interface TaskFitOptions<Data> {
  train: Data;
  validation?: Data;
  /** Evaluated once at the end of training. */
  test?: Data;
  epochs: number;
  batchSize?: number;
  lr?: LearningRate;
  /** Warm-up as a fraction of all steps, when `lr` is a number. */
  warmupFraction?: number;
  /** AdamW weight decay. */
  weightDecay?: number;
  clipNorm?: number;
  labelSmoothing?: number;
  seed?: number;
  /** Use only this many training examples. */
  trainLimit?: number;
  callbacks?: Callback[];
  /** Where to keep per-epoch checkpoints (and resume from, with `resume`). */
  checkpoints?: CheckpointStore;
  resume?: boolean;
}

/** The schedule of a `LearningRate`: a function as it is, a number (or the default peak) as warm-up + cosine. */
export function learningRateSchedule(
  lr: LearningRate | undefined,
  o: { peakLr: number; warmupFraction: number; totalSteps: number },
): LrSchedule {
  if (typeof lr === 'function') return lr;
  return warmupCosineByFraction({
    peakLr: lr ?? o.peakLr,
    warmupFraction: o.warmupFraction,
    totalSteps: o.totalSteps,
  });
}

/** The numbers a task's `fit` falls back on; each family's `FIT_DEFAULTS` starts from TASK_FIT_DEFAULTS. */
export interface TaskFitDefaults {
  batchSize: number;
  /** Peak of the warm-up + cosine schedule. */
  lr: number;
  warmupFraction: number;
  weightDecay: number;
  clipNorm: number;
  labelSmoothing: number;
}

export const TASK_FIT_DEFAULTS: Readonly<TaskFitDefaults> = {
  batchSize: 64,
  lr: 1e-3,
  warmupFraction: 0.05,
  weightDecay: 0.01,
  clipNorm: 1,
  labelSmoothing: 0,
};

/**
 * The trainer settings a task's fit options come to, with its family's defaults: AdamW, the
 * learning-rate schedule over `totalSteps`, clipping, label smoothing, seed, callbacks and
 * checkpoints. A task adds its data, metrics and loss settings.
 */
export function taskTrainSettings(
  o: TaskFitOptions<unknown>,
  defaults: Readonly<TaskFitDefaults>,
  totalSteps: number,
) {
  return {
    epochs: o.epochs,
    seed: o.seed ?? 0,
    optimizer: { type: 'adamw' as const, weightDecay: o.weightDecay ?? defaults.weightDecay },
    lr: learningRateSchedule(o.lr, {
      peakLr: defaults.lr,
      warmupFraction: o.warmupFraction ?? defaults.warmupFraction,
      totalSteps,
    }),
    clipNorm: o.clipNorm ?? defaults.clipNorm,
    labelSmoothing: o.labelSmoothing ?? defaults.labelSmoothing,
    callbacks: o.callbacks ?? [],
    checkpoints: o.checkpoints,
    resume: o.resume,
  };
}
