// What the attnzoo commands need of a model family: one entry per family in FAMILIES
// (./index.ts). finetune, evaluate and predict look the family up by the word after them.
import type { PresetMetadata } from '@attnzoo/hub/node';
import type { Callback, EpochLogs, TrainResult } from '@attnzoo/train';
import type { DiskCheckpointStore } from '@attnzoo/train/node';
import { UsageError } from '../command';
import { learningRate } from '../tasks/common';

export interface FinetuneSettings {
  from: string;
  data: string;
  epochs: number;
  batchSize?: number;
  lr?: number;
  schedule: 'cosine' | 'constant';
  /** Warm-up fraction of all steps. */
  warmup: number;
  weightDecay?: number;
  seed: number;
  trainLimit?: number;
  testLimit?: number;
  name?: string;
  /** Own text data: the columns / keys of the text and the label. */
  columns?: TextColumns;
  /** Own text data: train a new SentencePiece model on the training texts instead of keeping the release's. */
  trainTokenizer?: boolean;
  /** With trainTokenizer: the vocabulary size asked for (fewer when the texts hold fewer pieces). */
  vocab?: number;
  /** Own images: refuse one far from the model's size or channels instead of converting it. */
  strict?: boolean;
}

/** Columns of a user's own data: `--text-column`/`--label-column` (texts), `--source-column`/`--target-column` (pairs). */
export interface TextColumns {
  textColumn?: string;
  labelColumn?: string;
  sourceColumn?: string;
  targetColumn?: string;
}

export interface FinetuneResult {
  /** The family's name (FAMILIES' key). */
  task: string;
  from: string;
  data: string;
  out: string;
  epochs: number;
  /** Epochs done before this process started (resumed from a checkpoint), else 0. */
  resumedAfterEpoch: number;
  trainExamples: number;
  testExamples: number;
  newHead: boolean;
  /** With --train-tokenizer: the new tokenizer's vocabulary (the token embedding was re-initialised for it). */
  tokenizer?: { trained: true; vocabularySize: number; asked: number; embedding: 're-initialised' };
  metric: { name: string; value: number };
  history: EpochLogs[];
  seconds: number;
  backend: string;
  hardware: string;
  command: string;
}

export interface RunContext {
  settings: FinetuneSettings & { batchSize: number; lr: number; weightDecay: number };
  callbacks: Callback[];
  store: DiskCheckpointStore;
  resume: boolean;
  log: (line: string) => void;
  metadata: (extra: Partial<PresetMetadata> & { metricName: string; metricValue: number }) => PresetMetadata;
}

export type Trained = Omit<
  FinetuneResult,
  | 'task'
  | 'from'
  | 'data'
  | 'out'
  | 'seconds'
  | 'backend'
  | 'hardware'
  | 'command'
  | 'resumedAfterEpoch'
  | 'history'
> & { result: TrainResult };

/** `--strict` is for image families: elsewhere it is a usage error, not silently ignored. */
export function checkStrict(family: ModelFamily, strict: boolean | undefined): void {
  if (strict && !family.strictImages)
    throw new UsageError(
      `--strict refuses images far from the model's input: it is an option of vit, not of ${family.name}.`,
    );
}

export function round(x: number, digits = 4): number {
  return Number(x.toFixed(digits));
}

/** One row of `attnzoo predict`: a label with probabilities, or a generated text. */
export interface PredictRow {
  input: string;
  label?: string;
  probability?: number;
  top?: { label: string; probability: number }[];
  /** Translators: the translation. */
  translation?: string;
  /** Language models: the text that continues the prompt. */
  continuation?: string;
  /** Text classifiers: the cleaned input was empty, so the label comes from the biases alone. */
  empty?: boolean;
  /** Why the prediction deserves less trust (an empty text, a tiny image, ...). */
  warning?: string;
}

export interface ModelFamily {
  /** The word after `attnzoo finetune|evaluate|predict`. */
  name: string;
  /** What `--data` takes, for the help text. */
  data: string;
  /** What `predict` takes after its options. */
  inputs: string;
  /** The test metric `evaluate` and `finetune` report. */
  metric: string;
  /** The family's fine-tuning defaults (its package's FINETUNE_DEFAULTS). */
  finetuneDefaults: { batchSize: number; lr: number; weightDecay: number };
  /** Whether `--strict` applies (families of images, which are converted to the model's input). */
  strictImages?: boolean;
  /** Whether `finetune --train-tokenizer` applies (text families that read the user's own texts). */
  trainsTokenizer?: boolean;
  /** Checks `--data` before any model or backend is loaded (a usage error comes first). */
  checkData(value: string): void;
  finetune(c: RunContext, out: string): Promise<Trained>;
  evaluate(o: {
    from: string;
    data: string;
    limit?: number;
    columns?: TextColumns;
    strict?: boolean;
  }): Promise<{
    count: number;
    metric: { name: string; value: number };
    loss?: number;
  }>;
  predict(o: {
    from: string;
    inputs: string[];
    top: number;
    beam?: number;
    strict?: boolean;
  }): Promise<PredictRow[]>;
}

/** The fit options of a fine-tuning run (`TaskFitOptions` without the data): settings, schedule, callbacks, checkpoints. */
export function finetuneFitOptions(c: RunContext, totalSteps: number) {
  const s = c.settings;
  return {
    epochs: s.epochs,
    batchSize: s.batchSize,
    seed: s.seed,
    weightDecay: s.weightDecay,
    lr: learningRate({ schedule: s.schedule, peakLr: s.lr, warmup: s.warmup, totalSteps }),
    callbacks: c.callbacks,
    checkpoints: c.store,
    resume: c.resume,
  };
}

/**
 * Evaluation labels in the model's class order. Own data names its classes itself (sorted), which
 * need not be the model's order; a label the model does not predict is an error listing them.
 */
export function toModelClasses(
  labels: ArrayLike<number>,
  dataNames: readonly string[] | undefined,
  modelNames: readonly string[],
  source: string,
): Int32Array {
  if (!dataNames || dataNames.length === 0 || dataNames.every((n, i) => n === modelNames[i]))
    return Int32Array.from(labels);
  const unknown = dataNames.filter((n) => !modelNames.includes(n));
  if (unknown.length > 0)
    throw new UsageError(
      `${source} has labels the model does not predict: ${unknown.join(', ')} (the model's: ${modelNames.join(', ')}); ` +
        'fine-tune it for these labels (attnzoo finetune) or relabel the data.',
    );
  const to = dataNames.map((n) => modelNames.indexOf(n));
  return Int32Array.from(labels, (l) => to[l]);
}
