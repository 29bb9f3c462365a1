import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { modelCost } from '@attnzoo/attention';
import { type PresetMetadata, savePreset } from '@attnzoo/hub/node';
import { loadTranslator, FINETUNE_DEFAULTS as TRANSLATOR_FINETUNE } from '@attnzoo/seq2seq-translator/node';
import {
  loadTrainingData,
  spreadLimit,
  FINETUNE_DEFAULTS as TEXT_FINETUNE,
  TextClassifier,
} from '@attnzoo/text-classifier/node';
import type { Callback, EpochLogs, TrainResult } from '@attnzoo/train';
import { DiskCheckpointStore } from '@attnzoo/train/node';
import { ImageClassifier, loadImageData, FINETUNE_DEFAULTS as VIT_FINETUNE } from '@attnzoo/vit/node';
import { chooseBackend } from '../backend';
import { UsageError } from '../command';
import { measurementEnvironment } from '../environment';
import {
  learningRate,
  type ModelTask,
  parameterCounts,
  presetFolder,
  progressCallbacks,
} from '../tasks/common';
import { checkData, imageData, textData, translationData } from '../tasks/data';

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
}

export interface FinetuneOptions extends FinetuneSettings {
  task: ModelTask;
  out: string;
  resume: boolean;
  overwrite: boolean;
  backend?: string;
  webgpuAdapter?: string;
  json: boolean;
  command: string;
}

export interface FinetuneResult {
  task: ModelTask;
  from: string;
  data: string;
  out: string;
  epochs: number;
  /** Epochs done before this process started (resumed from a checkpoint), else 0. */
  resumedAfterEpoch: number;
  trainExamples: number;
  testExamples: number;
  newHead: boolean;
  metric: { name: string; value: number };
  history: EpochLogs[];
  seconds: number;
  backend: string;
  hardware: string;
  command: string;
}

/** Each family's fine-tuning defaults (its package's FINETUNE_DEFAULTS), where neither the flags nor --config set them. */
const DEFAULTS: Record<ModelTask, { batchSize: number; lr: number; weightDecay: number }> = {
  vit: VIT_FINETUNE,
  'text-classifier': TEXT_FINETUNE,
  translator: TRANSLATOR_FINETUNE,
};

interface RunContext {
  settings: FinetuneSettings & { batchSize: number; lr: number; weightDecay: number };
  callbacks: Callback[];
  store: DiskCheckpointStore;
  resume: boolean;
  log: (line: string) => void;
  metadata: (extra: Partial<PresetMetadata> & { metricName: string; metricValue: number }) => PresetMetadata;
}

type Trained = Omit<
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

function round(x: number, digits = 4): number {
  return Number(x.toFixed(digits));
}

async function finetuneVit(c: RunContext, out: string): Promise<Trained> {
  const s = c.settings;
  const { dataset, path } = imageData(s.data);
  let classifier = await ImageClassifier.fromPretrained(presetFolder(s.from));
  const loaded = await loadImageData(dataset, {
    data: path,
    trainLimit: s.trainLimit,
    testLimit: s.testLimit,
    seed: s.seed,
  });
  const trainSplit = classifier.preprocessor.convertSplit(loaded.train!);
  const testSplit = classifier.preprocessor.convertSplit(loaded.test!);
  const names = trainSplit.classNames ? [...trainSplit.classNames] : undefined;
  const same =
    names !== undefined &&
    names.length === classifier.classNames.length &&
    names.every((n, i) => n === classifier.classNames[i]);
  const sameCount = (names?.length ?? classifier.config.numClasses) === classifier.config.numClasses;
  const newHead = !(same || (names === undefined && sameCount));
  if (newHead) {
    classifier = classifier.withNewHead(names?.length ?? classifier.config.numClasses, names, s.seed);
    c.log(`finetune: new ${classifier.config.numClasses}-class head for ${dataset}`);
  }
  c.log(
    `finetune: ${trainSplit.count} training and ${testSplit.count} test images of ${dataset} (${loaded.source})`,
  );
  const totalSteps = Math.ceil(trainSplit.count / s.batchSize) * s.epochs;
  const result = await classifier.fit({
    train: trainSplit,
    test: testSplit,
    epochs: s.epochs,
    batchSize: s.batchSize,
    seed: s.seed,
    weightDecay: s.weightDecay,
    lr: learningRate({ schedule: s.schedule, peakLr: s.lr, warmup: s.warmup, totalSteps }),
    callbacks: c.callbacks,
    checkpoints: c.store,
    resume: c.resume,
  });
  const value = result.test?.accuracy ?? Number.NaN;
  const cost = modelCost(classifier.model);
  await savePreset(
    classifier,
    out,
    c.metadata({
      task: 'image-classification',
      parameters: { total: cost.totalParameters, attention: cost.attentionParameters },
      dataset: {
        name: dataset,
        split: 'test',
        description: `${testSplit.count} test images from ${loaded.source}`,
      },
      metricName: 'accuracy',
      metricValue: value,
    }),
    { overwrite: true },
  );
  classifier.dispose();
  return {
    epochs: result.epochs,
    trainExamples: trainSplit.count,
    testExamples: testSplit.count,
    newHead,
    metric: { name: 'accuracy', value },
    result,
  };
}

async function finetuneText(c: RunContext, out: string): Promise<Trained> {
  const s = c.settings;
  const path = textData(s.data);
  let clf = await TextClassifier.fromPretrained(presetFolder(s.from));
  const data = await loadTrainingData(path, {
    preprocessor: clf.config.preprocessor,
    tokenizerBytes: clf.tokenizer.bytes,
  });
  const names = data.classNames;
  const newHead = !(names.length === clf.classNames.length && names.every((n, i) => n === clf.classNames[i]));
  if (newHead) {
    clf = clf.withNewHead(names.length, names, s.seed);
    c.log(`finetune: new ${names.length}-class head (${names.join(', ')})`);
  }
  const tr = spreadLimit(data.splits.train, s.trainLimit);
  const te = spreadLimit(data.splits.test, s.testLimit);
  c.log(`finetune: ${tr.count} training and ${te.count} test texts of ${data.dataset}`);
  const totalSteps = Math.ceil(tr.count / s.batchSize) * s.epochs;
  const result = await clf.fit({
    train: tr,
    test: te,
    epochs: s.epochs,
    batchSize: s.batchSize,
    seed: s.seed,
    weightDecay: s.weightDecay,
    lr: learningRate({ schedule: s.schedule, peakLr: s.lr, warmup: s.warmup, totalSteps }),
    callbacks: c.callbacks,
    checkpoints: c.store,
    resume: c.resume,
  });
  const value = result.test?.accuracy ?? Number.NaN;
  const p = clf.parameters();
  await savePreset(
    clf,
    out,
    c.metadata({
      task: 'text-classification',
      parameters: p,
      dataset: { name: data.dataset, split: 'test', description: data.splitNote },
      metricName: 'accuracy',
      metricValue: value,
    }),
    { overwrite: true },
  );
  clf.dispose();
  return {
    epochs: result.epochs,
    trainExamples: tr.count,
    testExamples: te.count,
    newHead,
    metric: { name: 'accuracy', value },
    result,
  };
}

async function finetuneTranslator(c: RunContext, out: string): Promise<Trained> {
  const s = c.settings;
  const translator = await loadTranslator(presetFolder(s.from));
  const data = await translationData(s.data, { train: s.trainLimit, test: s.testLimit });
  const trainCount = 'count' in data.train ? data.train.count : data.train.source.length;
  c.log(`finetune: ${trainCount} training pairs, ${data.test.source.length} test pairs (${data.source})`);
  const totalSteps = Math.ceil(trainCount / s.batchSize) * s.epochs;
  const result = await translator.fit({
    train: data.train,
    epochs: s.epochs,
    batchSize: s.batchSize,
    // Cosine: the translator's own warm-up + cosine (to a twentieth of the peak); constant: the CLI's.
    lr:
      s.schedule === 'cosine'
        ? s.lr
        : learningRate({ schedule: s.schedule, peakLr: s.lr, warmup: s.warmup, totalSteps }),
    warmupSteps: Math.round(s.warmup * totalSteps),
    weightDecay: s.weightDecay,
    seed: s.seed,
    bleuSentences: 0,
    callbacks: c.callbacks,
    checkpoints: c.store,
    resume: c.resume,
  });
  const r = await translator.evaluate(data.test.source, data.test.target, { batchSize: 128 });
  await savePreset(
    translator,
    out,
    c.metadata({
      task: 'translation',
      parameters: parameterCounts(translator.models.model),
      dataset: { name: basename(data.source), split: 'test' },
      metricName: 'BLEU',
      metricValue: r.bleu.score,
      bleuSignature: r.bleu.signature,
    }),
    { overwrite: true },
  );
  translator.dispose();
  return {
    epochs: result.epochs,
    trainExamples: trainCount,
    testExamples: data.test.source.length,
    newHead: false,
    metric: { name: 'BLEU', value: r.bleu.score },
    result,
  };
}

/**
 * `attnzoo finetune <vit|text-classifier|translator>`: fine-tunes a preset (name, folder or URL)
 * on a data set and writes a new preset folder with its model card. Checkpoints go to
 * `<out>.checkpoints/` after every epoch; `--resume` continues an interrupted run from there.
 */
export async function finetune(o: FinetuneOptions): Promise<FinetuneResult> {
  const out = resolve(o.out);
  const checkpointDir = `${out}.checkpoints`;
  const runFile = join(checkpointDir, 'run.json');
  const interrupted = existsSync(join(checkpointDir, 'last.json'));
  if (interrupted && !o.resume)
    throw new UsageError(
      `${checkpointDir} holds checkpoints of an interrupted run: pass --resume to continue it, or delete that folder to start over.`,
    );
  if (!o.resume && existsSync(out) && !o.overwrite)
    throw new UsageError(`${out} already exists: choose another --out, or pass --overwrite.`);
  let settings: FinetuneSettings = {
    from: o.from,
    data: o.data,
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr: o.lr,
    schedule: o.schedule,
    warmup: o.warmup,
    weightDecay: o.weightDecay,
    seed: o.seed,
    trainLimit: o.trainLimit,
    testLimit: o.testLimit,
    name: o.name,
  };
  const log = (line: string) => {
    if (!o.json) console.error(line);
  };
  if (o.resume && existsSync(runFile)) {
    // The interrupted run's settings win: the checkpoint only fits the same model, data and schedule.
    settings = JSON.parse(await readFile(runFile, 'utf8')).settings;
    log(`finetune: resuming the run in ${checkpointDir} with its settings`);
  } else if (o.resume) {
    log(`finetune: --resume, but ${checkpointDir} holds no checkpoint: starting from the beginning`);
  }
  const d = DEFAULTS[o.task];
  const full = {
    ...settings,
    batchSize: settings.batchSize ?? d.batchSize,
    lr: settings.lr ?? d.lr,
    weightDecay: settings.weightDecay ?? d.weightDecay,
  };
  checkData(o.task, full.data);
  const choice = await chooseBackend(o.backend, o.webgpuAdapter);
  const env = measurementEnvironment(choice);
  const hardware = `${env.adapter ? `${env.adapter}; ` : ''}${env.cpu} × ${env.cores}`;
  await mkdir(checkpointDir, { recursive: true });
  await writeFile(
    runFile,
    `${JSON.stringify({ task: o.task, settings: full, command: o.command }, null, 2)}\n`,
  );
  const store = new DiskCheckpointStore(checkpointDir);
  const history: EpochLogs[] = [];
  let resumedAfterEpoch = 0;
  const t0 = performance.now();
  const context: RunContext = {
    settings: full,
    store,
    resume: o.resume,
    log,
    callbacks: [
      ...progressCallbacks(o.json),
      {
        onTrainBegin: (info) => {
          resumedAfterEpoch = info.startEpoch;
        },
        onEpochEnd: (l) => void history.push({ ...l }),
      },
    ],
    metadata: ({ metricName, metricValue, ...extra }) => ({
      name: full.name ?? basename(out),
      description: `${full.from} fine-tuned on ${full.data} for ${full.epochs} epoch(s) with attnzoo finetune ${o.task}.`,
      license: 'Apache-2.0',
      ...extra,
      metrics: [{ name: metricName, value: round(metricValue), split: 'test', command: o.command }],
      training: {
        config: {
          ...full,
          schedule: `${full.schedule}, warm-up ${full.warmup} of the steps`,
          optimizer: 'adamw',
        },
        durationSeconds: Math.round((performance.now() - t0) / 1000),
        hardware,
        backend: choice.backend,
      },
      reproduce: o.command,
    }),
  };
  log(
    `finetune ${o.task}: from ${full.from}, data ${full.data}, ${full.epochs} epoch(s), batch ${full.batchSize}, lr ${full.lr} (${full.schedule})`,
  );
  const run =
    o.task === 'vit' ? finetuneVit : o.task === 'text-classifier' ? finetuneText : finetuneTranslator;
  const trained = await run(context, out);
  const { result: _r, ...rest } = trained;
  const summary: FinetuneResult = {
    task: o.task,
    from: full.from,
    data: full.data,
    out,
    ...rest,
    resumedAfterEpoch,
    history,
    seconds: (performance.now() - t0) / 1000,
    backend: choice.backend,
    hardware,
    command: o.command,
  };
  // The preset is complete: the checkpoints have done their job.
  await rm(checkpointDir, { recursive: true, force: true });
  return summary;
}
