import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FASHION_MNIST_CLASSES, loadFashionMnistMini } from '@attnzoo/data-fashion-mnist-mini';
import { packagePresetDir } from '@attnzoo/hub/node';
import { type Callback, pauseAtTimeLimit, TrainingPaused } from '@attnzoo/train';
import { ImageClassifier } from '@attnzoo/vit/node';
import * as tf from '@tensorflow/tfjs-core';
import { chooseBackend } from '../backend';
import { UsageError } from '../command';
import { measurementEnvironment } from '../environment';
import { greyPng } from '../grey-png';
import { markdownTable } from '../report/markdown-table';
import { writeReport } from '../report/write-report';
import { predict } from './evaluate-predict';

export interface BenchMemoryOptions {
  backend?: string;
  /** A vit-mnist-* release package (28×28 grey images); its installed preset is used. */
  from: string;
  /** Images classified by the `predict` phase in all. */
  predictInputs: number;
  /** Images per `attnzoo predict` call (each call loads the preset, predicts and disposes, as the command does). */
  perCall: number;
  /** Fine-tuning epochs over the Fashion-MNIST subset. */
  epochs: number;
  /** Fine-tune for this many minutes instead (epochs as many as fit; the last one ends within the time). */
  minutes?: number;
  batchSize: number;
  /** Sample memory every this many fine-tuning steps. */
  every: number;
  out: string;
  json: boolean;
}

export const BENCH_MEMORY_DEFAULTS = {
  from: '@attnzoo/model-vit-mnist-super',
  predictInputs: 10_000,
  perCall: 100,
  epochs: 60,
  batchSize: 64,
  every: 10,
  out: 'bench-results',
} as const;

/** One reading: tfjs's live tensors and bytes, and the process's resident and heap memory. */
export interface MemorySample {
  /** Inputs predicted or optimizer steps done when the sample was taken. */
  at: number;
  seconds: number;
  tensors: number;
  tensorMiB: number;
  rssMiB: number;
  heapMiB: number;
}

/** How a series moved: its first and last value after warm-up, its maximum, and the growth per 1,000 units of `at`. */
export interface Trend {
  first: number;
  last: number;
  max: number;
  /** Least-squares slope over the second half of the samples, per 1,000 inputs or steps. */
  slopePer1000: number;
}

export interface PhaseSummary {
  phase: 'predict' | 'fine-tune';
  units: string;
  count: number;
  seconds: number;
  samples: number;
  tensors: Trend;
  tensorMiB: Trend;
  rssMiB: Trend;
  heapMiB: Trend;
}

const MiB = 2 ** 20;
/** Epochs a `--minutes` run is scheduled for: more than any time limit lets it reach. */
const MINUTES_EPOCHS = 1_000_000;

function sample(at: number, started: number): MemorySample {
  const m = tf.memory();
  const p = process.memoryUsage();
  return {
    at,
    seconds: (performance.now() - started) / 1000,
    tensors: m.numTensors,
    tensorMiB: m.numBytes / MiB,
    rssMiB: p.rss / MiB,
    heapMiB: p.heapUsed / MiB,
  };
}

/** Trend of one field; the first sample is left out as warm-up (kernels, caches and the model's first load). */
export function trend(samples: MemorySample[], key: 'tensors' | 'tensorMiB' | 'rssMiB' | 'heapMiB'): Trend {
  const s = samples.length > 2 ? samples.slice(1) : samples;
  const half = s.slice(Math.floor(s.length / 2));
  const xs = half.map((x) => x.at);
  const ys = half.map((x) => x[key]);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  const sxy = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0);
  return {
    first: s[0][key],
    last: s[s.length - 1][key],
    max: Math.max(...s.map((x) => x[key])),
    slopePer1000: sxx > 0 ? (1000 * sxy) / sxx : 0,
  };
}

function summary(
  phase: PhaseSummary['phase'],
  units: string,
  samples: MemorySample[],
  count: number,
): PhaseSummary {
  return {
    phase,
    units,
    count,
    seconds: samples[samples.length - 1].seconds,
    samples: samples.length,
    tensors: trend(samples, 'tensors'),
    tensorMiB: trend(samples, 'tensorMiB'),
    rssMiB: trend(samples, 'rssMiB'),
    heapMiB: trend(samples, 'heapMiB'),
  };
}

/**
 * Runs `attnzoo predict vit` in-process: the command's own load, predict and dispose. Its output
 * (the predictions, and the backend line each call prints) is swallowed; failures still throw.
 */
async function quietPredict(from: string, files: string[], backend: string): Promise<void> {
  const { log, error } = console;
  console.log = () => {};
  console.error = () => {};
  try {
    await predict({ task: 'vit', from, inputs: files, top: 3, backend, json: false });
  } finally {
    console.log = log;
    console.error = error;
  }
}

/**
 * `attnzoo bench memory`: whether memory stays flat under load. Runs `attnzoo predict vit` over
 * `predictInputs` PNG files (in calls of `perCall`, each loading the preset, predicting and
 * disposing) and then a long fine-tuning run, sampling tfjs's live tensors and the process's
 * resident memory (RSS) and heap as it goes. Writes `memory-<backend>.json` (every sample) and `.md`.
 */
export async function benchMemory(o: BenchMemoryOptions): Promise<void> {
  if (o.perCall > o.predictInputs) throw new UsageError('--per-call cannot exceed --predict-inputs.');
  const choice = await chooseBackend(o.backend);
  const environment = measurementEnvironment(choice);
  const cliFolder = dirname(fileURLToPath(import.meta.url));
  const release = await packagePresetDir(o.from, { resolveFrom: cliFolder });
  if (!release)
    throw new UsageError(`--from ${o.from}: the package is not installed (npm install ${o.from}).`);
  const data = loadFashionMnistMini();
  const log = o.json ? () => {} : (line: string) => console.error(line);

  // predict: the same PNG files, classified again and again by the command's own code path
  const folder = await mkdtemp(join(tmpdir(), 'attnzoo-bench-memory-'));
  const predictSamples: MemorySample[] = [];
  try {
    const files: string[] = [];
    for (let i = 0; i < o.perCall; i++) {
      const k = i % data.test.count;
      const path = join(folder, `${i}.png`);
      await writeFile(path, greyPng(data.test.images.subarray(k * 784, (k + 1) * 784), 28, 28));
      files.push(path);
    }
    const calls = Math.ceil(o.predictInputs / o.perCall);
    const started = performance.now();
    predictSamples.push(sample(0, started));
    for (let c = 1; c <= calls; c++) {
      await quietPredict(release.dir, files, choice.backend);
      predictSamples.push(sample(c * o.perCall, started));
      if (c % 10 === 0 || c === calls)
        log(
          `  predict: ${c * o.perCall} inputs, ${predictSamples.at(-1)!.tensors} tensors, RSS ${predictSamples.at(-1)!.rssMiB.toFixed(0)} MiB`,
        );
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }

  // fine-tune: one long fit of the release with a new head on the Fashion-MNIST subset
  // the new-head classifier shares the backbone's layers: disposing it frees them (the old head is left, a few KB)
  const pretrained = await ImageClassifier.fromPretrained(release.dir);
  const classifier = pretrained.withNewHead(FASHION_MNIST_CLASSES.length, [...FASHION_MNIST_CLASSES], 1);
  const fineTuneSamples: MemorySample[] = [];
  let steps = 0;
  let epochs = o.epochs;
  try {
    const started = performance.now();
    fineTuneSamples.push(sample(0, started));
    const sampler: Callback = {
      onBatchEnd: () => {
        steps++;
        if (steps % o.every === 0) fineTuneSamples.push(sample(steps, started));
      },
      onEpochEnd: (l) => {
        if ((l.epoch + 1) % 10 === 0 || l.epoch + 1 === o.epochs)
          log(
            `  fine-tune: epoch ${l.epoch + 1}, step ${steps}, ${tf.memory().numTensors} tensors, RSS ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB`,
          );
      },
    };
    // A timed run is one long fit that stops after the last epoch that ends in time, as a user's
    // fine-tune of that length would run (the schedule is sized for far more epochs: lr stays near its peak).
    const timed = o.minutes !== undefined;
    const limit = timed
      ? [pauseAtTimeLimit({ limitSeconds: (o.minutes as number) * 60, startedAt: started })]
      : [];
    try {
      await classifier.fit({
        train: data.train,
        epochs: timed ? MINUTES_EPOCHS : o.epochs,
        batchSize: o.batchSize,
        lr: 1e-3,
        seed: 1,
        callbacks: [sampler, ...limit],
      });
    } catch (e) {
      if (!(timed && e instanceof TrainingPaused)) throw e;
      epochs = e.epochsDone;
    }
    if (steps % o.every !== 0) fineTuneSamples.push(sample(steps, started));
  } finally {
    classifier.dispose();
  }

  const phases = [
    summary('predict', 'inputs', predictSamples, Math.ceil(o.predictInputs / o.perCall) * o.perCall),
    summary('fine-tune', 'steps', fineTuneSamples, steps),
  ];
  const command =
    `attnzoo bench memory --backend ${choice.backend} --from ${o.from} --predict-inputs ${o.predictInputs} ` +
    `--per-call ${o.perCall} ${o.minutes !== undefined ? `--minutes ${o.minutes}` : `--epochs ${o.epochs}`} --batch-size ${o.batchSize} --every ${o.every}`;
  const markdown = [
    `# Memory under load (${choice.backend})`,
    '',
    `Command: \`${command}\``,
    '',
    `Environment: ${environment.backend}; ${environment.cpu} × ${environment.cores}; ${environment.memoryGiB} GiB; Node ${environment.node}; ${environment.date}.`,
    '',
    `predict: \`attnzoo predict vit\` run in-process ${Math.ceil(o.predictInputs / o.perCall)} times on ${o.perCall} PNG files ` +
      `(Fashion-MNIST test images), each call loading ${o.from}'s preset, predicting and disposing. ` +
      `fine-tune: ${o.from} with a new ${FASHION_MNIST_CLASSES.length}-class head, ${o.minutes !== undefined ? `one fit stopped after ${o.minutes} minutes: ` : ''}${epochs} epochs over ${data.train.count} ` +
      `Fashion-MNIST training images in batches of ${o.batchSize} (${steps} steps). tfjs tensors and bytes from \`tf.memory()\`, ` +
      'RSS and heap from `process.memoryUsage()`, sampled after every call and every ' +
      `${o.every} steps; the first sample is warm-up. Slope: least-squares growth over the second half of the samples, per 1,000 inputs or steps.`,
    '',
    markdownTable(phases, [
      { header: 'phase', value: (p) => p.phase },
      { header: 'count', value: (p) => `${p.count} ${p.units}` },
      { header: 'seconds', value: (p) => p.seconds, digits: 0 },
      {
        header: 'tensors first → last (max)',
        value: (p) => `${p.tensors.first} → ${p.tensors.last} (${p.tensors.max})`,
      },
      { header: 'tensor MiB last', value: (p) => p.tensorMiB.last },
      {
        header: 'RSS MiB first → last (max)',
        value: (p) =>
          `${p.rssMiB.first.toFixed(0)} → ${p.rssMiB.last.toFixed(0)} (${p.rssMiB.max.toFixed(0)})`,
      },
      { header: 'RSS MiB / 1,000', value: (p) => p.rssMiB.slopePer1000 },
      {
        header: 'heap MiB first → last',
        value: (p) => `${p.heapMiB.first.toFixed(0)} → ${p.heapMiB.last.toFixed(0)}`,
      },
      { header: 'heap MiB / 1,000', value: (p) => p.heapMiB.slopePer1000 },
    ]),
  ].join('\n');
  const json = {
    command,
    environment,
    phases,
    samples: { predict: predictSamples, fineTune: fineTuneSamples },
  };
  const files = await writeReport(o.out, `memory-${choice.backend}`, json, markdown);
  if (o.json) console.log(JSON.stringify({ command, environment, phases, files }, null, 2));
  else console.log(`${markdown}\n\nWrote ${files.join(', ')}`);
}
