import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { type AttentionVariant, modelCost } from '@attnzoo/attention';
import {
  archiveEntries,
  findLocalDataFile,
  type ImageSplit,
  loadDataset,
  localDataFolders,
  readAnki,
  type TextSplit,
} from '@attnzoo/datasets/node';
import {
  fitTranslator,
  type ParallelCorpus,
  splitParallel,
  Translator,
} from '@attnzoo/seq2seq-translator/node';
import {
  buildTextClassifierModel,
  type EncodedTexts,
  encodedBatches,
  loadTextSplits,
  textClassifierConfig,
} from '@attnzoo/text-classifier/node';
import { accuracy, type Callback, constantLr, evaluate, Rng, train } from '@attnzoo/train';
import { ImageClassifier, type ImageDatasetName, loadImageData } from '@attnzoo/vit/node';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { UsageError } from '../command';
import { parameterCounts } from '../tasks/common';
import { PAD_ID, WordTokenizer, WordVocabulary } from './word-vocabulary';

export const PAPER_TASKS = ['mnist', 'cifar10', 'cifar100', 'imdb', 'amazon', 'translation'] as const;
export type PaperTask = (typeof PAPER_TASKS)[number];

/** Data files of the tasks: in $ATTNZOO_DATA_DIR, else in shared/data in the working folder or above it. */
export const PAPER_DATA: Partial<Record<PaperTask, string>> = {
  cifar10: 'shared/data/cifar-10-jpeg-q75.tar.gz',
  imdb: 'shared/data/aclImdb_v1-labelled.tar.gz',
  amazon: 'shared/data/amazon-multidomain-labelled.tar.gz',
  translation: 'shared/data/spa-eng.zip',
};

export interface TaskSettings {
  epochs: number;
  batchSize: number;
  /** Training examples (a seeded or evenly spread subset when smaller than the split). */
  trainSize: number;
  /** Test examples the metric is measured on. */
  testSize: number;
  lr: number;
  /** Words kept in the vocabulary of the word-level tasks (imdb, amazon, translation). */
  vocabulary?: number;
  /**
   * Text tasks: this fraction of the training examples is held out (seed 0) and scored every
   * epoch; the test metric is that of the epoch with the best validation accuracy (the paper's
   * "best validation checkpoint"). Default 0: the last epoch's model.
   */
  validationFraction?: number;
}

/** Per-task defaults: sized so that 4 variants × 3 seeds run in about a quarter of an hour on 2 CPU cores (wasm). */
export const TASK_DEFAULTS: Record<PaperTask, TaskSettings> = {
  mnist: { epochs: 2, batchSize: 64, trainSize: 4000, testSize: 5000, lr: 1e-3 },
  cifar10: { epochs: 3, batchSize: 128, trainSize: 10000, testSize: 10000, lr: 1e-3 },
  cifar100: { epochs: 3, batchSize: 128, trainSize: 10000, testSize: 10000, lr: 1e-3 },
  imdb: { epochs: 2, batchSize: 32, trainSize: 20000, testSize: 10000, lr: 1e-3, vocabulary: 20000 },
  amazon: { epochs: 4, batchSize: 32, trainSize: 100000, testSize: 100000, lr: 1e-3, vocabulary: 20000 },
  translation: { epochs: 3, batchSize: 64, trainSize: 30000, testSize: 500, lr: 1e-3, vocabulary: 10000 },
};

/** The word-level tasks (those with a `vocabulary` setting), e.g. for `--vocabulary`. */
export const VOCABULARY_TASKS = PAPER_TASKS.filter((t) => TASK_DEFAULTS[t].vocabulary !== undefined);

/** Words kept for a word-level task: the setting, else the task's default. */
function vocabularySize(task: PaperTask, s: TaskSettings): number {
  const n = s.vocabulary ?? TASK_DEFAULTS[task].vocabulary;
  if (n === undefined) throw new Error(`${task} has no word vocabulary`);
  return n;
}

export interface RunMeasure {
  metric: number;
  totalParameters: number;
  attentionParameters: number;
  /** Mean wall-clock seconds of a training epoch. */
  secondsPerEpoch: number;
  /** Test examples (images, reviews, sentences) per second at inference. */
  throughput: number;
  /** With a validation split: the epoch (1-based) whose weights gave the metric. */
  bestEpoch?: number;
}

export interface PreparedTask {
  metric: 'accuracy' | 'BLEU';
  /** What was trained, on which data: printed with the results. */
  model: Record<string, unknown>;
  data: { source: string; train: number; test: number; note: string };
  run(variant: AttentionVariant, seed: number, callbacks: Callback[]): Promise<RunMeasure>;
}

/** The task's data file: --data, else the local data folder; a missing file is a usage error naming the fix. */
export function dataFile(task: PaperTask, given?: string): string | undefined {
  if (given) {
    if (!existsSync(given))
      throw new UsageError(`--data ${given} does not exist: pass the path of the ${task} data.`);
    return given;
  }
  const relative = PAPER_DATA[task];
  if (!relative) return undefined;
  const found = findLocalDataFile(basename(relative));
  if (!found)
    throw new UsageError(
      `the ${task} data (${basename(relative)}) was not found in ${localDataFolders()}: pass --data <path>.`,
    );
  return found;
}

/** Inference throughput: examples per second of model.predict over prepared batches (after one warm-up batch). */
async function predictThroughput(model: LayersModel, batches: tf.Tensor[]): Promise<number> {
  const warm = model.predict(batches[0]) as tf.Tensor;
  await warm.data();
  warm.dispose();
  let count = 0;
  const t0 = performance.now();
  for (const x of batches) {
    const y = model.predict(x) as tf.Tensor;
    await y.data();
    y.dispose();
    count += x.shape[0];
  }
  return count / ((performance.now() - t0) / 1000);
}

function meanEpochSeconds(history: { seconds: number }[]): number {
  return history.reduce((s, h) => s + h.seconds, 0) / Math.max(1, history.length);
}

// ---------------------------------------------------------------------------------------------
// Images: the ViT of @attnzoo/vit, Keras-example sized.

const IMAGE_MODELS = {
  mnist: { imageSize: 28, channels: 1, patchSize: 7, mean: [0.1307], std: [0.3081], classes: 10 },
  cifar10: {
    imageSize: 32,
    channels: 3,
    patchSize: 4,
    mean: [0.4914, 0.4822, 0.4465],
    std: [0.247, 0.2435, 0.2616],
    classes: 10,
  },
  cifar100: {
    imageSize: 32,
    channels: 3,
    patchSize: 4,
    mean: [0.507, 0.4865, 0.4409],
    std: [0.2673, 0.2564, 0.2762],
    classes: 100,
  },
} as const;

async function prepareImages(
  task: 'mnist' | 'cifar10' | 'cifar100',
  s: TaskSettings,
  data?: string,
): Promise<PreparedTask> {
  const m = IMAGE_MODELS[task];
  const name: ImageDatasetName =
    task === 'mnist' ? 'mnist' : task === 'cifar10' ? 'cifar-10-jpeg' : 'cifar-100';
  let loaded: Awaited<ReturnType<typeof loadImageData>>;
  try {
    loaded = await loadImageData(name, { data, trainLimit: s.trainSize, testLimit: s.testSize, seed: 0 });
  } catch (error) {
    if (task === 'cifar100')
      throw new Error(
        `CIFAR-100 is not available offline here (${(error as Error).message.split('\n')[0]}): download cifar-100-binary.tar.gz and pass --data <file>.`,
      );
    throw error;
  }
  const trainSplit = loaded.train as ImageSplit;
  const testSplit = loaded.test as ImageSplit;
  const backbone = {
    imageSize: m.imageSize,
    channels: m.channels,
    patchSize: m.patchSize,
    width: 64,
    depth: 2,
    numHeads: 4,
    feedForwardWidth: 128,
    pooling: 'class' as const,
    dropout: 0.1,
    attentionDropout: 0,
  };
  const preprocessor = { imageSize: m.imageSize, channels: m.channels, mean: [...m.mean], std: [...m.std] };
  return {
    metric: 'accuracy',
    model: {
      kind: 'ViT (@attnzoo/vit ImageClassifier)',
      ...backbone,
      optimizer: 'AdamW, weight decay 1e-4, warm-up 5 % then cosine',
      ...s,
    },
    data: {
      source: loaded.source,
      train: trainSplit.count,
      test: testSplit.count,
      note:
        trainSplit.count < (task === 'mnist' ? 60000 : 50000)
          ? `seeded subset of ${trainSplit.count} training images; ${testSplit.count} official test images`
          : `all training images; ${testSplit.count} official test images`,
    },
    async run(variant, seed, callbacks) {
      const classifier = ImageClassifier.create({
        backbone: { ...backbone, variant, seed },
        preprocessor,
        numClasses: m.classes,
        classNames: trainSplit.classNames ? [...trainSplit.classNames] : undefined,
      });
      const cost = modelCost(classifier.model);
      const result = await classifier.fit({
        train: trainSplit,
        test: testSplit,
        epochs: s.epochs,
        batchSize: s.batchSize,
        lr: s.lr,
        weightDecay: 1e-4,
        seed,
        callbacks,
      });
      const n = Math.min(testSplit.count, 2048);
      const batches: tf.Tensor[] = [];
      for (let i = 0; i < n; i += 256) {
        const idx = Int32Array.from({ length: Math.min(256, n - i) }, (_, k) => i + k);
        batches.push(classifier.preprocessor.batch(testSplit, idx));
      }
      const throughput = await predictThroughput(classifier.model, batches);
      tf.dispose(batches);
      classifier.dispose();
      return {
        metric: result.test?.accuracy ?? Number.NaN,
        totalParameters: cost.totalParameters,
        attentionParameters: cost.attentionParameters,
        secondsPerEpoch: meanEpochSeconds(result.history),
        throughput,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Text: the encoder of @attnzoo/text-classifier over Keras-style word ids (one block, width 32, 4 heads, length 32).

const TEXT = { maxLength: 32, width: 32, numHeads: 4, feedForwardWidth: 32, numBlocks: 1 };

/** `count` examples spread evenly over a split (IMDB's splits are sorted by label). */
function spreadTexts(s: TextSplit, count: number): TextSplit {
  const n = s.texts.length;
  if (count >= n) return s;
  const idx = Array.from({ length: count }, (_, i) => Math.floor((i * n) / count));
  return { ...s, texts: idx.map((i) => s.texts[i]), labels: Int32Array.from(idx, (i) => s.labels[i]) };
}

/** A seeded (seed 0) `fraction` of the texts as validation, the rest as training. */
function holdOut(split: TextSplit, fraction: number): { train: TextSplit; validation: TextSplit } {
  const n = split.texts.length;
  const v = Math.round(n * fraction);
  if (!(fraction > 0 && fraction < 1) || v < 1 || v >= n)
    throw new UsageError(
      `--validation-fraction ${fraction}: use a number between 0 and 1 that leaves examples on both sides.`,
    );
  const order = new Rng(0).permutation(n);
  const pick = (idx: Int32Array): TextSplit => ({
    ...split,
    texts: Array.from(idx, (i) => split.texts[i]),
    labels: Int32Array.from(idx, (i) => split.labels[i]),
  });
  return { validation: pick(order.subarray(0, v)), train: pick(order.subarray(v)) };
}

/** Keeps a copy of the weights of the epoch with the best validation accuracy (first of ties). */
function bestEpochKeeper(model: LayersModel) {
  let bestAccuracy = -1;
  let weights: tf.Tensor[] | null = null;
  const keeper = {
    epoch: 0,
    callback: {
      onEpochEnd: (logs: { epoch: number; val_accuracy?: number }) => {
        const acc = logs.val_accuracy ?? Number.NaN;
        if (!(acc > bestAccuracy)) return;
        bestAccuracy = acc;
        keeper.epoch = logs.epoch + 1;
        if (weights) tf.dispose(weights);
        weights = model.getWeights().map((w) => w.clone());
      },
    } as Callback,
    restore() {
      if (!weights) throw new Error('no epoch was scored on the validation split');
      model.setWeights(weights);
      tf.dispose(weights);
      weights = null;
    },
  };
  return keeper;
}

async function prepareText(task: 'imdb' | 'amazon', s: TaskSettings, path: string): Promise<PreparedTask> {
  let trainSplit: TextSplit;
  let testSplit: TextSplit;
  let note: string;
  if (task === 'imdb') {
    const d = await loadDataset('imdb', { source: path, validationFraction: 0, progressBar: false });
    trainSplit = d.train as TextSplit;
    testSplit = d.test as TextSplit;
    note = 'IMDB official split';
  } else {
    const d = await loadTextSplits(path);
    // No official split: train on train + validation of the seeded 80/10/10 derivation, test on its test part.
    const tr = d.splits.train;
    const va = d.splits.validation;
    trainSplit = {
      ...tr,
      texts: [...tr.texts, ...va.texts],
      labels: Int32Array.from([...tr.labels, ...va.labels]),
    };
    testSplit = d.splits.test;
    note = 'Blitzer multi-domain, seeded split (seed 42): test 10 %, train the other 90 %';
  }
  trainSplit = spreadTexts(trainSplit, s.trainSize);
  testSplit = spreadTexts(testSplit, s.testSize);
  const held = s.validationFraction ? holdOut(trainSplit, s.validationFraction) : undefined;
  if (held) {
    trainSplit = held.train;
    note += `; ${held.validation.texts.length} training reviews held out (seed 0) to pick the best epoch`;
  }
  const vocabulary = new WordVocabulary(trainSplit.texts, vocabularySize(task, s));
  const encode = (split: TextSplit): EncodedTexts => ({
    ids: vocabulary.encodeFixed(split.texts, TEXT.maxLength),
    labels: split.labels,
    count: split.texts.length,
    maxLength: TEXT.maxLength,
  });
  const tr = encode(trainSplit);
  const te = encode(testSplit);
  const va = held ? encode(held.validation) : undefined;
  return {
    metric: 'accuracy',
    model: {
      kind: 'Transformer encoder classifier (@attnzoo/text-classifier buildTextClassifierModel)',
      ...TEXT,
      tokens: `Keras-style words: lower-case, punctuation stripped, ${vocabulary.size} most frequent training words`,
      pooling: 'mean',
      dropout: 0.1,
      optimizer: 'Adam, constant learning rate',
      ...s,
    },
    data: {
      source: path,
      train: tr.count,
      test: te.count,
      note: `${note}; ${tr.count} training and ${te.count} test reviews${tr.count < s.trainSize ? '' : ' (evenly spread subset where smaller than the split)'}`,
    },
    async run(variant, seed, callbacks) {
      const config = textClassifierConfig({
        variant,
        vocabularySize: vocabulary.size,
        padId: PAD_ID,
        maxLength: TEXT.maxLength,
        width: TEXT.width,
        numHeads: TEXT.numHeads,
        feedForwardWidth: TEXT.feedForwardWidth,
        numBlocks: TEXT.numBlocks,
        pooling: 'mean',
        dropout: 0.1,
        classNames: [...trainSplit.classNames],
        seed,
      });
      const model = buildTextClassifierModel(config);
      const cost = modelCost(model);
      const best = va ? bestEpochKeeper(model) : undefined;
      const result = await train({
        model,
        train: encodedBatches(tr, { batchSize: s.batchSize, shuffle: true }),
        ...(va
          ? { validation: encodedBatches(va, { batchSize: 256 }) }
          : { test: encodedBatches(te, { batchSize: 256 }) }),
        epochs: s.epochs,
        seed,
        optimizer: { type: 'adam' },
        lr: constantLr(s.lr),
        metrics: [accuracy()],
        callbacks: best ? [...callbacks, best.callback] : callbacks,
      });
      let metric = result.test?.accuracy ?? Number.NaN;
      if (best) {
        best.restore();
        const test = await evaluate(model, encodedBatches(te, { batchSize: 256 }), { metrics: [accuracy()] });
        metric = test.accuracy;
      }
      const n = Math.min(te.count, 4096);
      const batches: tf.Tensor[] = [];
      for (let i = 0; i < n; i += 256) {
        const rows = Math.min(256, n - i);
        batches.push(
          tf.tensor2d(
            Int32Array.from(te.ids.subarray(i * TEXT.maxLength, (i + rows) * TEXT.maxLength)),
            [rows, TEXT.maxLength],
            'int32',
          ),
        );
      }
      const throughput = await predictThroughput(model, batches);
      tf.dispose(batches);
      model.dispose();
      return {
        metric,
        totalParameters: cost.totalParameters,
        attentionParameters: cost.attentionParameters,
        secondsPerEpoch: meanEpochSeconds(result.history),
        throughput,
        ...(best ? { bestEpoch: best.epoch } : {}),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Translation: the encoder–decoder of @attnzoo/seq2seq-translator, Keras-example shaped, smaller.

const TRANSLATION = {
  length: 20,
  width: 64,
  numHeads: 4,
  feedForwardWidth: 128,
  layers: 1,
};

function spreadPairs(c: ParallelCorpus, count: number): ParallelCorpus {
  const n = c.source.length;
  if (count >= n) return c;
  const idx = Array.from({ length: count }, (_, i) => Math.floor((i * n) / count));
  return { source: idx.map((i) => c.source[i]), target: idx.map((i) => c.target[i]) };
}

async function prepareTranslation(s: TaskSettings, path: string): Promise<PreparedTask> {
  const pairs = await readAnki(await archiveEntries(path));
  const splits = splitParallel({ source: pairs.source, target: pairs.target });
  const trainPairs = spreadPairs(splits.train, s.trainSize);
  const testPairs = spreadPairs(splits.test, s.testSize);
  const tokenizer = new WordTokenizer(
    [...trainPairs.source, ...trainPairs.target],
    vocabularySize('translation', s),
  );
  const references = testPairs.target.map((t) => tokenizer.normalise(t));
  return {
    metric: 'BLEU',
    model: {
      kind: 'Transformer encoder–decoder (@attnzoo/seq2seq-translator Translator)',
      ...TRANSLATION,
      tokens: `shared word vocabulary of ${tokenizer.vocabularySize} (lower-case, punctuation stripped)`,
      decoding: 'greedy',
      bleu: 'sacreBLEU-compatible corpus BLEU on the lower-cased, punctuation-free text',
      ...s,
    },
    data: {
      source: path,
      train: trainPairs.source.length,
      test: testPairs.source.length,
      note: `Anki spa-eng, English→Spanish, hash split by English sentence; evenly spread ${trainPairs.source.length} training and ${testPairs.source.length} test pairs`,
    },
    async run(variant, seed, callbacks) {
      const translator = Translator.create(tokenizer, {
        variant,
        width: TRANSLATION.width,
        numHeads: TRANSLATION.numHeads,
        feedForwardWidth: TRANSLATION.feedForwardWidth,
        encoderLayers: TRANSLATION.layers,
        decoderLayers: TRANSLATION.layers,
        sourceMaxLength: TRANSLATION.length,
        targetMaxLength: TRANSLATION.length,
        dropout: 0.1,
        activation: 'relu',
        seed,
      });
      const counts = parameterCounts(translator.models.model);
      const cost = { totalParameters: counts.total, attentionParameters: counts.attention };
      const result = await fitTranslator(translator, {
        train: trainPairs,
        epochs: s.epochs,
        batchSize: s.batchSize,
        lr: s.lr,
        bleuSentences: 0,
        seed,
        callbacks,
      });
      const r = await translator.evaluate(testPairs.source, references, { batchSize: 128 });
      translator.dispose();
      return {
        metric: r.bleu.score,
        totalParameters: cost.totalParameters,
        attentionParameters: cost.attentionParameters,
        secondsPerEpoch: meanEpochSeconds(result.history),
        throughput: r.sentences / r.seconds,
      };
    },
  };
}

export async function prepareTask(task: PaperTask, s: TaskSettings, data?: string): Promise<PreparedTask> {
  const path = dataFile(task, data);
  switch (task) {
    case 'mnist':
    case 'cifar10':
    case 'cifar100':
      return prepareImages(task, s, path);
    case 'imdb':
    case 'amazon':
      return prepareText(task, s, path as string);
    case 'translation':
      return prepareTranslation(s, path as string);
  }
}
