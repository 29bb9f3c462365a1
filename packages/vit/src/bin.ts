#!/usr/bin/env node
// attnzoo-vit: train the ViT releases, fine-tune, evaluate, predict, and pack/unpack release tars.
// Bundled for the GPU machine by scripts/bundle-for-device.mjs as .device/app/vit.mjs.
import { promises as fs } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { adapterName, type BackendChoice, selectBackend } from '@attnzoo/runtime';
import { TrainingPaused } from '@attnzoo/train';
import * as tf from '@tensorflow/tfjs-core';
import {
  evaluatePreset,
  finetune,
  ImageClassifier,
  type ImageDatasetName,
  packFolder,
  presetSource,
  RELEASE_RECIPES,
  type RunEnvironment,
  trainRelease,
  unpackRelease,
} from './node';
import { profileTrainingStep } from './profile';

const USAGE = `attnzoo-vit <command> [options]

  train-release <preset> --out <folder> [--tar <file.tar>] [--epochs N] [--budget-minutes M]
                [--batch-size N] [--data <path>] [--train-limit N] [--test-limit N] [--summary <file.json>]
                [--checkpoints <folder> [--resume] [--time-limit-minutes M]]
                [--backbone width=16,depth=1,...]  (smoke runs: a smaller model than the recipe's)
      Train a preset from scratch with its recipe, evaluate the saved float16 weights on the
      official test split, write a model-release package folder (and one tar of it).
      --time-limit-minutes stops after the last epoch that ends in time (exit status 75, checkpoint
      kept): run the same command with --resume, on this or another machine, to go on.
  finetune --from <preset|folder> --data <dataset> [--data-path <path>] [--epochs 1] [--batch-size N]
                [--lr X] [--train-limit N] [--test-limit N] [--out <folder>] [--tar <file.tar>] [--summary <file.json>]
      Fine-tune a pretrained classifier on another data set (new head when the labels differ).
  evaluate --from <preset|folder> --data <dataset> [--data-path <path>] [--limit N] [--per-class N [--seed S]] (a seeded stratified sample; seed 0 by default)
  predict --from <preset|folder> <image.png|jpg> ...
  unpack <release.tar> [--out <folder>] [--overwrite]   (default folder: models/<tar name>)
  pack <folder> --tar <file.tar>
  profile <preset> [--batch-size N] [--steps 12]
      Where a training step's time goes, on generated images: median step time and kernels by op.
  list

  Common: --backend auto|tensorflow|webgpu|wasm|cpu (default $ATTNZOO_BACKEND or auto),
          --webgpu-adapter hardware|software.
  Data sets: mnist, fashion-mnist, cifar-10-jpeg, cifar-100. For train-release, --data is the
  path of the preset's data set (MNIST: folder with the 4 IDX files, raw or .gz; CIFAR-10: the
  cifar-10-jpeg-q75.tar.gz file).`;

/** Exit status of a run paused by --time-limit-minutes (EX_TEMPFAIL: try again later). */
export const EXIT_PAUSED = 75;

const DATASETS: ImageDatasetName[] = ['mnist', 'fashion-mnist', 'cifar-10-jpeg', 'cifar-100'];

function datasetName(value: string | undefined): ImageDatasetName {
  const v =
    value === 'cifar10' || value === 'cifar-10'
      ? 'cifar-10-jpeg'
      : value === 'cifar100'
        ? 'cifar-100'
        : value;
  if (!DATASETS.includes(v as ImageDatasetName)) {
    throw new Error(`--data must name a data set: ${DATASETS.join(', ')} (got ${JSON.stringify(value)}).`);
  }
  return v as ImageDatasetName;
}

function int(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${value}.`);
  return n;
}

function num(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0)) throw new Error(`${name} must be a positive number, got ${value}.`);
  return n;
}

/** `--backbone width=16,depth=1`: numeric backbone fields changed for smoke runs (recorded in the card). */
function backboneOverrides(value: string | undefined): Record<string, number> | undefined {
  if (!value) return undefined;
  const allowed = ['patchSize', 'width', 'depth', 'numHeads', 'feedForwardWidth'];
  const out: Record<string, number> = {};
  for (const part of value.split(',')) {
    const [key, v] = part.split('=');
    if (!allowed.includes(key)) throw new Error(`--backbone: ${key} is not one of ${allowed.join(', ')}.`);
    out[key] = int(v, `--backbone ${key}`)!;
  }
  return out;
}

// Static imports, so that a bundler includes the backends (a computed import() would stay external).
async function importBackend(name: string): Promise<unknown> {
  switch (name) {
    case '@tensorflow/tfjs-backend-cpu':
      return import('@tensorflow/tfjs-backend-cpu');
    case '@tensorflow/tfjs-backend-wasm':
      return import('@tensorflow/tfjs-backend-wasm');
    default:
      return import(/* @vite-ignore */ name);
  }
}

async function backend(
  values: Record<string, unknown>,
): Promise<{ choice: BackendChoice; env: Omit<RunEnvironment, 'command'> }> {
  const adapter = values['webgpu-adapter'] as 'hardware' | 'software' | undefined;
  const choice = await selectBackend(tf, {
    backend: values.backend as string | undefined,
    webgpu: adapter ? { adapter } : undefined,
    importModule: importBackend,
    log: (line) => console.log(line),
  });
  const a = choice.webgpuAdapter;
  const gpu = a ? [adapterName(a), a.software ? '(software adapter)' : ''].join(' ').trim() : '';
  const cpu = `${cpus()[0]?.model?.trim() ?? 'unknown CPU'} × ${cpus().length}`;
  const backendLine = a
    ? `webgpu (Dawn, ${a.software ? 'software' : 'hardware'} adapter: ${gpu})`
    : choice.backend;
  return { choice, env: { backend: backendLine, hardware: gpu ? `GPU ${gpu}; CPU ${cpu}` : `CPU ${cpu}` } };
}

async function writeSummary(path: unknown, summary: unknown): Promise<void> {
  if (typeof path !== 'string') return;
  await fs.writeFile(path, `${JSON.stringify(summary, null, 2)}\n`);
}

const COMMON = {
  backend: { type: 'string' },
  'webgpu-adapter': { type: 'string' },
  summary: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const commandLine = `attnzoo-vit ${argv.join(' ')}`;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 1;
  }
  switch (command) {
    case 'list': {
      for (const r of Object.values(RELEASE_RECIPES)) {
        const b = r.backbone;
        console.log(
          `${r.name}\t${r.dataset}\t${b.variant}\tpatch ${b.patchSize}, width ${b.width}, depth ${b.depth}, heads ${b.numHeads}\t` +
            `${r.training.epochs} epochs, batch ${r.training.batchSize}\t${r.released ? 'released' : 'configuration only'}`,
        );
      }
      return 0;
    }
    case 'train-release': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          ...COMMON,
          out: { type: 'string' },
          tar: { type: 'string' },
          epochs: { type: 'string' },
          'budget-minutes': { type: 'string' },
          'batch-size': { type: 'string' },
          data: { type: 'string' },
          'train-limit': { type: 'string' },
          'test-limit': { type: 'string' },
          overwrite: { type: 'boolean' },
          backbone: { type: 'string' },
          checkpoints: { type: 'string' },
          resume: { type: 'boolean' },
          'time-limit-minutes': { type: 'string' },
        },
      });
      const name = positionals[0];
      if (!name || !values.out)
        throw new Error(`train-release needs a preset name and --out <folder>.\n\n${USAGE}`);
      if (!RELEASE_RECIPES[name])
        throw new Error(`Unknown preset ${name}: use one of ${Object.keys(RELEASE_RECIPES).join(', ')}.`);
      const { env } = await backend(values);
      const summary = await trainRelease({
        name,
        out: values.out,
        tar: values.tar,
        epochs: int(values.epochs, '--epochs'),
        budgetMinutes: num(values['budget-minutes'], '--budget-minutes'),
        checkpoints: values.checkpoints,
        resume: values.resume,
        timeLimitMinutes: num(values['time-limit-minutes'], '--time-limit-minutes'),
        batchSize: int(values['batch-size'], '--batch-size'),
        data: values.data,
        trainLimit: int(values['train-limit'], '--train-limit'),
        testLimit: int(values['test-limit'], '--test-limit'),
        overwrite: values.overwrite,
        backbone: backboneOverrides(values.backbone),
        env: { ...env, command: commandLine },
      });
      console.log(`RESULT ${JSON.stringify(summary)}`);
      await writeSummary(values.summary, summary);
      return 0;
    }
    case 'finetune': {
      const { values } = parseArgs({
        args: rest,
        options: {
          ...COMMON,
          from: { type: 'string' },
          data: { type: 'string' },
          'data-path': { type: 'string' },
          epochs: { type: 'string' },
          'batch-size': { type: 'string' },
          lr: { type: 'string' },
          'train-limit': { type: 'string' },
          'test-limit': { type: 'string' },
          'keep-head': { type: 'boolean' },
          out: { type: 'string' },
          tar: { type: 'string' },
          name: { type: 'string' },
        },
      });
      if (!values.from) throw new Error(`finetune needs --from <preset|folder>.\n\n${USAGE}`);
      const { env } = await backend(values);
      const summary = await finetune({
        from: values.from,
        dataset: datasetName(values.data ?? 'fashion-mnist'),
        data: values['data-path'],
        epochs: int(values.epochs, '--epochs'),
        batchSize: int(values['batch-size'], '--batch-size'),
        peakLr: num(values.lr, '--lr'),
        trainLimit: int(values['train-limit'], '--train-limit'),
        testLimit: int(values['test-limit'], '--test-limit'),
        keepHead: values['keep-head'],
        out: values.out,
        tar: values.tar,
        name: values.name,
        env: { ...env, command: commandLine },
      });
      console.log(`RESULT ${JSON.stringify(summary)}`);
      await writeSummary(values.summary, summary);
      return 0;
    }
    case 'profile': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { ...COMMON, 'batch-size': { type: 'string' }, steps: { type: 'string' } },
      });
      await backend(values);
      const p = await profileTrainingStep(
        positionals[0] ?? 'vit-mnist-super',
        int(values['batch-size'], '--batch-size') ?? 256,
        int(values.steps, '--steps'),
      );
      console.log(`RESULT ${JSON.stringify(p)}`);
      await writeSummary(values.summary, p);
      return 0;
    }
    case 'evaluate': {
      const { values } = parseArgs({
        args: rest,
        options: {
          ...COMMON,
          from: { type: 'string' },
          data: { type: 'string' },
          'data-path': { type: 'string' },
          limit: { type: 'string' },
          'per-class': { type: 'string' },
          seed: { type: 'string' },
        },
      });
      if (!values.from) throw new Error(`evaluate needs --from <preset|folder>.\n\n${USAGE}`);
      await backend(values);
      const r = await evaluatePreset(values.from, datasetName(values.data ?? 'mnist'), {
        data: values['data-path'],
        limit: int(values.limit, '--limit'),
        perClass: int(values['per-class'], '--per-class'),
        seed: int(values.seed, '--seed'),
      });
      console.log(
        `accuracy ${(100 * r.accuracy).toFixed(2)} %, loss ${r.loss.toFixed(4)} on ${r.count} test images`,
      );
      console.log(`RESULT ${JSON.stringify(r)}`);
      await writeSummary(values.summary, r);
      return 0;
    }
    case 'predict': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { ...COMMON, from: { type: 'string' } },
      });
      if (!values.from || !positionals.length)
        throw new Error(`predict needs --from <preset|folder> and image files.\n\n${USAGE}`);
      await backend(values);
      const from =
        values.from.includes('/') || values.from.startsWith('.')
          ? await presetSource(values.from)
          : values.from;
      const classifier = await ImageClassifier.fromPretrained(from);
      const files = await Promise.all(positionals.map(async (p) => new Uint8Array(await fs.readFile(p))));
      const predictions = await classifier.predict(files);
      for (const [i, p] of predictions.entries()) {
        const top = p.top.map((t) => `${t.label}:${t.probability.toFixed(3)}`).join(' ');
        console.log(`${positionals[i]}\t${p.label}\t${p.probability.toFixed(4)}\t${top}`);
      }
      classifier.dispose();
      return 0;
    }
    case 'unpack': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { out: { type: 'string' }, overwrite: { type: 'boolean' } },
      });
      if (!positionals.length) throw new Error(`unpack needs one or more release tar files.\n\n${USAGE}`);
      if (values.out && positionals.length > 1) throw new Error('--out works with one tar file only.');
      await selectBackend(tf, { backend: 'cpu', importModule: importBackend, log: () => {} });
      for (const tarFile of positionals) {
        const out = values.out ?? join('models', basename(tarFile).replace(/\.tar$/, ''));
        const files = await unpackRelease(tarFile, out, { overwrite: values.overwrite });
        console.log(`unpacked ${tarFile} into ${resolve(out)} (${files.length} files, preset verified)`);
      }
      return 0;
    }
    case 'pack': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { tar: { type: 'string' } },
      });
      if (positionals.length !== 1 || !values.tar)
        throw new Error(`pack needs one folder and --tar <file>.\n\n${USAGE}`);
      await packFolder(positionals[0], values.tar);
      console.log(`packed ${positionals[0]} into ${values.tar}`);
      return 0;
    }
    default:
      console.error(`Unknown command ${JSON.stringify(command)}.\n\n${USAGE}`);
      return 1;
  }
}

const isMain = (() => {
  const entry = process.argv[1];
  if (!entry) return false;
  const me = new URL(import.meta.url).pathname;
  return (
    resolve(entry) === me ||
    /(?:^|[\\/])(bin|vit)\.(m?js|ts)$/.test(entry) ||
    /attnzoo-vit(\.js)?$/.test(entry)
  );
})();

if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      // A paused run is not a failure: its checkpoint is saved and the same command goes on.
      if (error instanceof TrainingPaused) {
        console.error(`paused: ${error.message}`);
        process.exit(EXIT_PAUSED);
      }
      console.error(error instanceof Error ? `error: ${error.message}` : error);
      process.exit(1);
    },
  );
}
