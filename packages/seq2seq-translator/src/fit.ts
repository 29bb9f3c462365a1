import {
  type Callback,
  type CheckpointStore,
  type EpochLogs,
  MemoryCheckpointStore,
  sequenceBatches,
  type TaskFitOptions,
  type TrainResult,
  train,
  warmupCosineLr,
} from '@attnzoo/train';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { TranslatorConfig } from './config';
import { type EncodedPairs, headPairs, type ParallelCorpus } from './data';
import type { DecodeOptions } from './decoding/search';
import type { TranslatorPreprocessor } from './preprocessor';
import { FIT_DEFAULTS } from './presets';

/** Decoding of the validation BLEU: a method and its settings, and sentences per batch. */
export type BleuDecodeOptions = DecodeOptions & { batchSize?: number };

/** What training needs of a translator (`Translator` is one): its config, preprocessor, model and BLEU. */
export interface TrainableTranslator {
  readonly config: TranslatorConfig;
  readonly preprocessor: TranslatorPreprocessor;
  readonly model: LayersModel;
  evaluate(
    sources: readonly string[],
    references: readonly string[],
    options?: BleuDecodeOptions,
  ): Promise<{ bleu: { score: number }; chrf: { score: number }; tokensPerSecond: number }>;
}

/**
 * `Translator.fit`'s options: the ones every task takes (`lr` a peak rate or a schedule; pairs
 * encoded or as text), plus validation BLEU, a time budget and batch widths. No `test` split:
 * `evaluate` decodes it.
 */
export interface FitOptions
  extends Omit<TaskFitOptions<EncodedPairs | ParallelCorpus>, 'validation' | 'test'> {
  /** Validation pairs for the loss (teacher forcing) and, on a slice, BLEU at each epoch end. */
  validation?: ParallelCorpus;
  /** Validation pairs encoded (else encoded from `validation`). */
  validationEncoded?: EncodedPairs;
  /** Warm-up steps of a peak `lr` (default: a tenth of the steps, at most 1,000); `warmupFraction` also works. */
  warmupSteps?: number;
  /** Sentences of `validation` translated (greedy) for val_bleu after every epoch (default 200; 0 = off). */
  bleuSentences?: number;
  bleuOptions?: BleuDecodeOptions;
  /**
   * Wall-clock budget for training, in seconds: after the first epoch the number of epochs is
   * cut to what fits (and a peak `lr`'s cosine re-aimed at it), so a run on a machine with a
   * time limit ends with a decayed learning rate instead of being killed mid-epoch.
   */
  timeBudgetSeconds?: number;
  /** Batch widths are rounded up to a multiple of this (default 8 on WebGPU, where shapes cost shader compiles; else 1). */
  widthMultiple?: number;
}

/** Pairs encoded by the translator's preprocessor (kept for callers of the function form). */
export function encodeCorpus(
  translator: TrainableTranslator,
  corpus: ParallelCorpus,
  dropLong: boolean,
): EncodedPairs {
  return translator.preprocessor.encodePairs(corpus, dropLong);
}

/**
 * Length-bucketed batches of encoded pairs, each cut to its longest source and target: the pairs
 * are encoded at the model's maximum lengths, and padding is masked, so the cut changes no value.
 */
export function pairBatches(
  e: EncodedPairs,
  padId: number,
  options: { batchSize: number; shuffle: boolean; widthMultiple?: number },
) {
  const ids = (data: Int32Array, columns: number) => ({ data, rows: e.count, columns });
  return sequenceBatches(
    [ids(e.source, e.sourceLength), ids(e.decoderInput, e.targetLength)],
    ids(e.labels, e.targetLength),
    {
      batchSize: options.batchSize,
      padId,
      shuffle: options.shuffle,
      labelsLike: 1,
      // Each new shape compiles new shaders on WebGPU: keep the widths few there.
      widthMultiple: options.widthMultiple ?? (tf.getBackend() === 'webgpu' ? 8 : 1),
    },
  );
}

/**
 * Trains (or fine-tunes) a translator with @attnzoo/train: teacher forcing (decoder input =
 * BOS + target, labels = target + EOS), padding left out of the loss through the ignore index
 * (= pad id), label smoothing, AdamW with warmup + cosine decay, gradient clipping. After every
 * epoch a slice of the validation set is translated and scored: `val_bleu` in the epoch logs.
 */
export async function fitTranslator(
  translator: TrainableTranslator,
  options: FitOptions,
): Promise<TrainResult> {
  const trainData = headPairs(
    'count' in options.train ? options.train : encodeCorpus(translator, options.train, true),
    options.trainLimit,
  );
  if (trainData.count === 0)
    throw new Error('No training pair fits the model lengths: check the data and max lengths.');
  const batchSize = options.batchSize ?? FIT_DEFAULTS.batchSize;
  const padId = translator.config.padId;
  const valData =
    options.validationEncoded ??
    (options.validation ? encodeCorpus(translator, options.validation, false) : undefined);
  const batchesPerEpoch = Math.ceil(trainData.count / batchSize);
  let epochs = options.epochs;
  let totalSteps = batchesPerEpoch * epochs;
  // With a time budget the epochs that will run are unknown until the first one is timed: a warm-up
  // sized for all of `epochs` could outlast the run (12 planned epochs, 1 fitting, the learning rate
  // never reached its peak), so it is kept within a tenth of the first epoch.
  const defaultWarmup = Math.min(1000, Math.floor(totalSteps / 10));
  const warmupSteps = Math.min(
    options.warmupSteps ??
      (options.warmupFraction !== undefined
        ? Math.max(1, Math.round(options.warmupFraction * totalSteps))
        : undefined) ??
      (options.timeBudgetSeconds === undefined
        ? defaultWarmup
        : Math.min(defaultWarmup, Math.ceil(batchesPerEpoch / 10))),
    totalSteps,
  );
  // A schedule given is used as it is; a peak rate's is rebuilt when the time budget changes the
  // number of epochs (the trainer calls it per step).
  const given = typeof options.lr === 'function' ? options.lr : undefined;
  const peakLr = typeof options.lr === 'number' ? options.lr : FIT_DEFAULTS.lr;
  let schedule = given ?? warmupCosineLr({ peakLr, warmupSteps, totalSteps, minLr: peakLr / 20 });
  const lr = (step: number) => schedule(step);
  const bleuN = Math.min(
    options.bleuSentences ?? FIT_DEFAULTS.bleuSentences,
    options.validation?.source.length ?? 0,
  );
  const bleuCallback: Callback = {
    async onEpochEnd(logs: EpochLogs) {
      if (bleuN <= 0 || !options.validation) return;
      const r = await translator.evaluate(
        options.validation.source.slice(0, bleuN),
        options.validation.target.slice(0, bleuN),
        { batchSize: 128, ...options.bleuOptions },
      );
      logs.val_bleu = r.bleu.score;
      logs.val_chrf = r.chrf.score;
      logs.decode_tokens_per_second = r.tokensPerSecond;
    },
  };
  const widthMultiple = options.widthMultiple;
  const trainBatches = pairBatches(trainData, padId, { batchSize, shuffle: true, widthMultiple });
  const validationBatches =
    valData && valData.count > 0
      ? pairBatches(valData, padId, { batchSize: 256, shuffle: false, widthMultiple })
      : undefined;
  const run = (epochCount: number, resume: boolean, checkpoints?: CheckpointStore) =>
    train({
      model: translator.model,
      train: trainBatches,
      validation: validationBatches,
      epochs: epochCount,
      seed: options.seed ?? 0,
      numClasses: translator.config.vocabularySize,
      fromLogits: true,
      ignoreIndex: translator.config.padId,
      labelSmoothing: options.labelSmoothing ?? FIT_DEFAULTS.labelSmoothing,
      lr,
      clipNorm: options.clipNorm ?? FIT_DEFAULTS.clipNorm,
      optimizer: { type: 'adamw', weightDecay: options.weightDecay ?? FIT_DEFAULTS.weightDecay },
      // Label checks read every batch back to the CPU; the encoder above only writes valid ids.
      validateLabels: false,
      trainMetrics: false,
      callbacks: [bleuCallback, ...(options.callbacks ?? [])],
      checkpoints,
      resume,
    });
  const budget = options.timeBudgetSeconds;
  if (budget === undefined) return run(epochs, options.resume ?? false, options.checkpoints);
  // One epoch at a time through the trainer's own resume (weights, AdamW state, RNG, step).
  const store = options.checkpoints ?? new MemoryCheckpointStore();
  const t0 = performance.now();
  let result = await run(1, options.resume ?? false, store);
  const perEpoch = (performance.now() - t0) / 1000 / result.epochs;
  const fits = Math.max(result.epochs, Math.floor(budget / Math.max(perEpoch, 1e-9)));
  if (fits < epochs) {
    epochs = fits;
    totalSteps = batchesPerEpoch * epochs;
    schedule =
      given ??
      warmupCosineLr({
        peakLr,
        warmupSteps: Math.min(warmupSteps, totalSteps),
        totalSteps,
        minLr: peakLr / 20,
      });
  }
  while (result.epochs < epochs) result = await run(result.epochs + 1, true, store);
  return result;
}
