import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { EpochLogs } from '@attnzoo/train';
import { DiskCheckpointStore } from '@attnzoo/train/node';
import { chooseBackend } from '../backend';
import { UsageError } from '../command';
import { measurementEnvironment } from '../environment';
import { FAMILIES, type ModelTask } from '../families';
import {
  checkStrict,
  type FinetuneResult,
  type FinetuneSettings,
  type ModelFamily,
  type RunContext,
  round,
} from '../families/family';

export type { FinetuneResult, FinetuneSettings };

import { progressCallbacks } from '../tasks/common';

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
    ...(o.columns ? { columns: o.columns } : {}),
    ...(o.trainTokenizer ? { trainTokenizer: true } : {}),
    ...(o.vocab !== undefined ? { vocab: o.vocab } : {}),
    ...(o.strict ? { strict: true } : {}),
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
  const family: ModelFamily = FAMILIES[o.task];
  const d = family.finetuneDefaults;
  const full = {
    ...settings,
    batchSize: settings.batchSize ?? d.batchSize,
    lr: settings.lr ?? d.lr,
    weightDecay: settings.weightDecay ?? d.weightDecay,
  };
  if (full.vocab !== undefined && !full.trainTokenizer)
    throw new UsageError('--vocab sets the size of a trained tokenizer: pass it with --train-tokenizer.');
  if (full.trainTokenizer && !family.trainsTokenizer)
    throw new UsageError(
      `--train-tokenizer is an option of ${Object.values(FAMILIES)
        .filter((f) => f.trainsTokenizer)
        .map((f) => f.name)
        .join(', ')}, not of ${o.task}.`,
    );
  checkStrict(family, full.strict);
  family.checkData(full.data);
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
  const trained = await family.finetune(context, out);
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
