// `attnzoo release ...`: training, packing, unpacking, fine-tuning and evaluating the pretrained
// releases of every model family (vit-*, textcls-*, translator-*), and the translator's decoding
// and training benchmarks. The model packages hold the models; this is the tooling around them.
import { promises as fs } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { TRANSLATOR_PRESETS } from '@attnzoo/seq2seq-translator';
import { RELEASE_RECIPES as TEXT_RECIPES } from '@attnzoo/text-classifier';
import { type ImageDatasetName, RELEASE_RECIPES as VIT_RECIPES } from '@attnzoo/vit';
import { chooseBackend, runEnvironment } from '../backend';
import { backendOptions, type Command, UsageError } from '../command';
import { commandLine, intOption, numberOption, positiveOption, type ReleaseArgs } from '../release/args';
import { packagePreset } from '../release/package';
import * as text from '../release/text-classifier';
import * as translator from '../release/translator';
import { unpackRelease as unpackTranslator } from '../release/translator-package';
import * as vit from '../release/vit';
import { profileTrainingStep } from '../release/vit-profile';

/** Exit status of a run paused by --time-limit-minutes (EX_TEMPFAIL: try again later). */
export const EXIT_PAUSED = 75;

export type ReleaseFamily = 'vit' | 'text-classifier' | 'translator';
const FAMILIES: readonly ReleaseFamily[] = ['vit', 'text-classifier', 'translator'];

/** The family of a preset or release file, from its name: vit-*, textcls-*, translator-*. */
export function familyOf(name: string): ReleaseFamily {
  const b = basename(name);
  if (b.startsWith('vit-')) return 'vit';
  if (b.startsWith('textcls-')) return 'text-classifier';
  if (b.startsWith('translator-')) return 'translator';
  throw new UsageError(
    `cannot tell the model family of "${name}": release names start with vit-, textcls- or translator-.`,
  );
}

function familyArgument(value: string | undefined, command: string, allowed = FAMILIES): ReleaseFamily {
  const f = value === 'text' || value === 'textcls' ? 'text-classifier' : value;
  if (!f || !(allowed as readonly string[]).includes(f))
    throw new UsageError(
      `${command} needs a model family first: ${allowed.join(', ')}${value ? ` (got "${value}")` : ''}.`,
    );
  return f as ReleaseFamily;
}

type OptionSpec = Command['options'][string] & { families?: readonly ReleaseFamily[] };

/** Refuses options that belong to another family than the one the command runs for. */
function checkFamily(
  options: Record<string, OptionSpec>,
  values: Record<string, unknown>,
  family: ReleaseFamily,
  command: string,
) {
  for (const [name, o] of Object.entries(options)) {
    if (values[name] !== undefined && o.default === undefined && o.families && !o.families.includes(family))
      throw new UsageError(
        `--${name} is an option of ${o.families.join(' and ')}, not of ${family} (${command}).`,
      );
  }
}

const log = (line: string) => console.error(line);

async function backendOf(v: Record<string, unknown>) {
  const choice = await chooseBackend(
    v.backend as string | undefined,
    v['webgpu-adapter'] as string | undefined,
    log,
  );
  return { choice, env: runEnvironment(choice) };
}

async function writeSummary(path: unknown, summary: unknown): Promise<void> {
  if (typeof path !== 'string') return;
  await fs.writeFile(path, `${JSON.stringify(summary, null, 2)}\n`);
}

const args = (v: ReleaseArgs['options'], positional: string[], raw: string[]): ReleaseArgs => ({
  raw,
  positional,
  options: v,
});

const VIT_DATASETS: ImageDatasetName[] = ['mnist', 'fashion-mnist', 'cifar-10-jpeg', 'cifar-100'];

function imageDataset(value: string | undefined): ImageDatasetName {
  const v =
    value === 'cifar10' || value === 'cifar-10'
      ? 'cifar-10-jpeg'
      : value === 'cifar100'
        ? 'cifar-100'
        : value;
  if (!VIT_DATASETS.includes(v as ImageDatasetName))
    throw new UsageError(
      `--data must name a data set: ${VIT_DATASETS.join(', ')} (got ${JSON.stringify(value)}).`,
    );
  return v as ImageDatasetName;
}

/** `--backbone width=16,depth=1`: numeric backbone fields changed for smoke runs (recorded in the card). */
function backboneOverrides(a: ReleaseArgs): Record<string, number> | undefined {
  const value = a.options.backbone;
  if (typeof value !== 'string' || !value) return undefined;
  const allowed = ['patchSize', 'width', 'depth', 'numHeads', 'feedForwardWidth'];
  const out: Record<string, number> = {};
  for (const part of value.split(',')) {
    const [key, v] = part.split('=');
    if (!allowed.includes(key))
      throw new UsageError(`--backbone: ${key} is not one of ${allowed.join(', ')}.`);
    out[key] = intOption({ ...a, options: { [`backbone ${key}`]: v } }, `backbone ${key}`)!;
  }
  return out;
}

const VIT: readonly ReleaseFamily[] = ['vit'];
const TEXT: readonly ReleaseFamily[] = ['text-classifier'];
const TRANSLATOR: readonly ReleaseFamily[] = ['translator'];
const VIT_TEXT: readonly ReleaseFamily[] = ['vit', 'text-classifier'];
const VIT_TRANSLATOR: readonly ReleaseFamily[] = ['vit', 'translator'];
const TEXT_TRANSLATOR: readonly ReleaseFamily[] = ['text-classifier', 'translator'];

const architectureOptions = {
  width: { type: 'string', families: TRANSLATOR, description: 'model width instead of the preset’s' },
  numHeads: { type: 'string', families: TRANSLATOR, description: 'attention heads' },
  feedForwardWidth: { type: 'string', families: TRANSLATOR, description: 'feed-forward width' },
  encoderLayers: { type: 'string', families: TRANSLATOR, description: 'encoder blocks' },
  decoderLayers: { type: 'string', families: TRANSLATOR, description: 'decoder blocks' },
} as const;

const decodingOptions = {
  beam: { type: 'string', families: TRANSLATOR, description: 'beam width (1 or leave out: greedy)' },
  'length-penalty': { type: 'string', families: TRANSLATOR, description: 'beam length penalty (0.6)' },
  cache: { type: 'string', families: TRANSLATOR, description: 'kv (K/V cache) or full recomputation' },
} as const;

const trainOptions: Record<string, OptionSpec> = {
  ...backendOptions,
  out: { type: 'string', description: 'vit: the release folder; others: the path of <out>.tar' },
  data: {
    type: 'string',
    description:
      "the preset's data: vit: MNIST folder or CIFAR-10 tar.gz; text: archive or .bin[.gz]; translator: .s2s file",
  },
  epochs: { type: 'string', description: "training epochs (default: the recipe's)" },
  'batch-size': { type: 'string', families: VIT_TRANSLATOR, description: 'batch size' },
  'train-limit': { type: 'string', description: 'train on this many examples (smoke runs)' },
  'test-limit': { type: 'string', families: VIT_TRANSLATOR, description: 'test on this many examples' },
  'eval-limit': { type: 'string', families: TEXT, description: 'validate and test on this many rows' },
  'budget-minutes': { type: 'string', families: VIT_TEXT, description: 'epochs chosen to fit this budget' },
  checkpoints: { type: 'string', families: VIT_TRANSLATOR, description: 'checkpoint folder (every epoch)' },
  resume: { type: 'boolean', families: VIT_TRANSLATOR, description: 'continue from --checkpoints' },
  summary: { type: 'string', description: 'also write the summary JSON here' },
  tar: { type: 'string', families: VIT, description: 'also pack the release folder into this tar' },
  overwrite: { type: 'boolean', families: VIT, description: 'replace an existing --out folder' },
  backbone: { type: 'string', families: VIT, description: 'smoke runs: width=16,depth=1,... changed' },
  'time-limit-minutes': {
    type: 'string',
    families: VIT_TRANSLATOR,
    description: 'stop after the last epoch that ends in time (exit 75, checkpoint kept; then --resume)',
  },
  tokenizer: { type: 'string', families: TEXT, description: 'tokenizer.model for a raw archive' },
  lr: { type: 'string', families: TRANSLATOR, description: 'peak learning rate' },
  minutes: { type: 'string', families: TRANSLATOR, description: 'time budget in minutes' },
  'beam-sentences': {
    type: 'string',
    families: TRANSLATOR,
    description: 'beam search on this many test pairs',
  },
  beam: { type: 'string', families: TRANSLATOR, description: 'beam width of the test (default 4)' },
  'bleu-sentences': { type: 'string', families: TRANSLATOR, description: 'validation BLEU sentences (500)' },
  'validation-limit': { type: 'string', families: TRANSLATOR, description: 'validation-loss pairs (2000)' },
  'label-smoothing': { type: 'string', families: TRANSLATOR, description: 'label smoothing (0.1)' },
  seed: { type: 'string', families: TRANSLATOR, description: 'random seed (1)' },
  'width-multiple': { type: 'string', families: TRANSLATOR, description: 'bucket lengths to this multiple' },
  ...architectureOptions,
};

const finetuneOptions: Record<string, OptionSpec> = {
  ...backendOptions,
  from: { type: 'string', description: 'preset name, release folder or tar, or preset folder' },
  data: {
    type: 'string',
    description:
      'vit: mnist, fashion-mnist, cifar-10-jpeg or cifar-100; text: archive or .bin[.gz]; translator: .s2s file',
  },
  'data-path': { type: 'string', families: VIT, description: 'where the vit data set lies' },
  epochs: { type: 'string', description: 'epochs' },
  'batch-size': { type: 'string', description: 'batch size' },
  lr: { type: 'string', description: 'peak learning rate' },
  'train-limit': { type: 'string', description: 'train on this many examples' },
  'test-limit': { type: 'string', families: VIT_TRANSLATOR, description: 'test on this many examples' },
  'eval-limit': { type: 'string', families: TEXT, description: 'evaluate on this many rows' },
  'keep-head': { type: 'boolean', families: VIT, description: 'keep the old head even when labels differ' },
  out: {
    type: 'string',
    description: 'vit: release folder; text: preset folder or .tar; translator: preset folder',
  },
  tar: { type: 'string', families: VIT, description: 'also pack the release folder into this tar' },
  name: { type: 'string', families: VIT, description: 'preset name in the card' },
  'bleu-sentences': { type: 'string', families: TRANSLATOR, description: 'validation BLEU sentences (200)' },
  summary: { type: 'string', families: VIT_TEXT, description: 'also write the summary JSON here' },
};

const evaluateOptions: Record<string, OptionSpec> = {
  ...backendOptions,
  from: { type: 'string', description: 'preset name, release folder or tar, or preset folder' },
  data: { type: 'string', description: 'as for release finetune (translator: .s2s or the Anki .zip)' },
  'data-path': { type: 'string', families: VIT, description: 'where the vit data set lies' },
  limit: { type: 'string', families: VIT_TRANSLATOR, description: 'evaluate on this many examples' },
  'per-class': { type: 'string', families: VIT, description: 'a seeded stratified sample, N per class' },
  seed: { type: 'string', families: VIT, description: 'seed of the --per-class sample (0)' },
  split: { type: 'string', families: TEXT_TRANSLATOR, description: 'test (default) or validation' },
  'eval-limit': { type: 'string', families: TEXT, description: 'evaluate on this many rows' },
  summary: { type: 'string', families: VIT, description: 'also write the result JSON here' },
  ...decodingOptions,
};

function needs(v: ReleaseArgs['options'], name: string, command: string, hint: string): string {
  const value = v[name];
  if (typeof value !== 'string' || !value) throw new UsageError(`${command} needs --${name} <${hint}>.`);
  return value;
}

async function trainRelease(a: ReleaseArgs): Promise<void> {
  const preset = a.positional[0];
  if (!preset) throw new UsageError('release train needs a preset name (attnzoo release list shows them).');
  const family = familyOf(preset);
  checkFamily(trainOptions, a.options, family, 'release train');
  if (family === 'translator') {
    needs(a.options, 'out', 'release train', 'path of the tar, without .tar');
    return translator.trainRelease(a);
  }
  const out = needs(a.options, 'out', 'release train', family === 'vit' ? 'folder' : 'path');
  if (family === 'vit') {
    if (!VIT_RECIPES[preset])
      throw new UsageError(`unknown preset ${preset}: use one of ${Object.keys(VIT_RECIPES).join(', ')}.`);
    const { env } = await backendOf(a.options);
    const summary = await vit.trainRelease({
      name: preset,
      out,
      tar: a.options.tar as string | undefined,
      epochs: intOption(a, 'epochs'),
      budgetMinutes: positiveOption(a, 'budget-minutes'),
      checkpoints: a.options.checkpoints as string | undefined,
      resume: Boolean(a.options.resume),
      timeLimitMinutes: positiveOption(a, 'time-limit-minutes'),
      batchSize: intOption(a, 'batch-size'),
      data: a.options.data as string | undefined,
      trainLimit: intOption(a, 'train-limit'),
      testLimit: intOption(a, 'test-limit'),
      overwrite: Boolean(a.options.overwrite),
      backbone: backboneOverrides(a),
      env: { ...env, command: commandLine(a.raw) },
    });
    console.log(`RESULT ${JSON.stringify(summary)}`);
    return writeSummary(a.options.summary, summary);
  }
  const { env } = await backendOf(a.options);
  const summary = await text.trainRelease({
    preset,
    data: needs(a.options, 'data', 'release train', 'archive or .bin[.gz]'),
    tokenizer: a.options.tokenizer as string | undefined,
    out,
    epochs: intOption(a, 'epochs'),
    budgetMinutes: positiveOption(a, 'budget-minutes'),
    trainLimit: intOption(a, 'train-limit'),
    evalLimit: intOption(a, 'eval-limit'),
    backend: env.backend,
    hardware: env.hardware,
    command: commandLine(a.raw),
    log,
  });
  await writeSummary(a.options.summary, summary);
  console.log(JSON.stringify({ ...summary, history: undefined }));
}

async function finetuneRelease(a: ReleaseArgs): Promise<void> {
  const family = familyArgument(a.positional[0], 'release finetune');
  checkFamily(finetuneOptions, a.options, family, 'release finetune');
  const from = needs(a.options, 'from', 'release finetune', 'preset|folder|tar');
  if (family === 'translator') {
    needs(a.options, 'data', 'release finetune', '.s2s file');
    needs(a.options, 'out', 'release finetune', 'folder');
    return translator.finetune(a);
  }
  const { env } = await backendOf(a.options);
  if (family === 'vit') {
    const summary = await vit.finetune({
      from,
      dataset: imageDataset((a.options.data as string | undefined) ?? 'fashion-mnist'),
      data: a.options['data-path'] as string | undefined,
      epochs: intOption(a, 'epochs'),
      batchSize: intOption(a, 'batch-size'),
      peakLr: positiveOption(a, 'lr'),
      trainLimit: intOption(a, 'train-limit'),
      testLimit: intOption(a, 'test-limit'),
      keepHead: Boolean(a.options['keep-head']),
      out: a.options.out as string | undefined,
      tar: a.options.tar as string | undefined,
      name: a.options.name as string | undefined,
      env: { ...env, command: commandLine(a.raw) },
    });
    console.log(`RESULT ${JSON.stringify(summary)}`);
    return writeSummary(a.options.summary, summary);
  }
  const result = await text.finetuneRelease({
    mode: 'finetune',
    from,
    data: needs(a.options, 'data', 'release finetune', 'archive or .bin[.gz]'),
    evalLimit: intOption(a, 'eval-limit'),
    epochs: intOption(a, 'epochs'),
    batchSize: intOption(a, 'batch-size'),
    lr: positiveOption(a, 'lr'),
    trainLimit: intOption(a, 'train-limit'),
    out: a.options.out as string | undefined,
    backend: env.backend,
    hardware: env.hardware,
    command: commandLine(a.raw),
    log,
  });
  await writeSummary(a.options.summary, result);
  console.log(JSON.stringify(result));
}

async function evaluateRelease(a: ReleaseArgs): Promise<void> {
  const family = familyArgument(a.positional[0], 'release evaluate');
  checkFamily(evaluateOptions, a.options, family, 'release evaluate');
  const from = needs(a.options, 'from', 'release evaluate', 'preset|folder|tar');
  if (family === 'translator') {
    needs(a.options, 'data', 'release evaluate', '.s2s or .zip file');
    return translator.evaluateCommand(a);
  }
  const { env } = await backendOf(a.options);
  if (family === 'vit') {
    const r = await vit.evaluatePreset(
      from,
      imageDataset((a.options.data as string | undefined) ?? 'mnist'),
      {
        data: a.options['data-path'] as string | undefined,
        limit: intOption(a, 'limit'),
        perClass: intOption(a, 'per-class'),
        seed: a.options.seed === undefined ? undefined : numberOption(a, 'seed', 0),
      },
    );
    console.log(
      `accuracy ${(100 * r.accuracy).toFixed(2)} %, loss ${r.loss.toFixed(4)} on ${r.count} test images`,
    );
    console.log(`RESULT ${JSON.stringify(r)}`);
    return writeSummary(a.options.summary, r);
  }
  const result = await text.finetuneRelease({
    mode: 'evaluate',
    from,
    data: needs(a.options, 'data', 'release evaluate', 'archive or .bin[.gz]'),
    split: a.options.split as string | undefined,
    evalLimit: intOption(a, 'eval-limit'),
    backend: env.backend,
    hardware: env.hardware,
    command: commandLine(a.raw),
    log,
  });
  console.log(JSON.stringify(result));
}

async function unpack(a: ReleaseArgs): Promise<void> {
  if (!a.positional.length) throw new UsageError('release unpack needs one or more release tar files.');
  const into = (a.options.into as string | undefined) ?? 'models';
  if (a.options.out && a.positional.length > 1) throw new UsageError('--out works with one tar file only.');
  for (const tarFile of a.positional) {
    const family = familyOf(tarFile);
    if (a.options.out && family !== 'vit') throw new UsageError('--out is for vit releases; use --into.');
    if (family === 'vit') {
      // Verifying the preset loads it: the cpu backend is enough.
      await chooseBackend('cpu', undefined, () => {});
      const out =
        (a.options.out as string | undefined) ?? join(into, basename(tarFile).replace(/\.tar$/, ''));
      const files = await vit.unpackRelease(tarFile, out, { overwrite: Boolean(a.options.overwrite) });
      console.log(`unpacked ${tarFile} into ${resolve(out)} (${files.length} files, preset verified)`);
    } else if (family === 'text-classifier') {
      console.log(await text.unpackRelease(tarFile, into, { overwrite: Boolean(a.options.overwrite) }));
    } else {
      const files = await unpackTranslator(tarFile, resolve(into));
      log(`unpacked ${files.length} files`);
    }
  }
}

function list(): void {
  for (const r of Object.values(VIT_RECIPES)) {
    const b = r.backbone;
    console.log(
      `${r.name}\t${r.dataset}\t${b.variant}\tpatch ${b.patchSize}, width ${b.width}, depth ${b.depth}, heads ${b.numHeads}\t` +
        `${r.training.epochs} epochs, batch ${r.training.batchSize}\t${r.released ? 'released' : 'configuration only'}`,
    );
  }
  for (const r of Object.values(TEXT_RECIPES)) {
    const m = r.model;
    console.log(
      `${r.name}\t${r.dataset}\t${r.variant}\twidth ${m.width}, blocks ${m.numBlocks}, heads ${m.numHeads}, length ${m.maxLength}\t` +
        `${r.training.epochs} epochs, batch ${r.training.batchSize}\treleased`,
    );
  }
  for (const [name, p] of Object.entries(TRANSLATOR_PRESETS)) {
    const c = p.architecture;
    console.log(
      `${name}\tanki-spa-eng\t${p.variant}\twidth ${c.width}, encoder ${c.encoderLayers}, decoder ${c.decoderLayers}, heads ${c.numHeads}\t-\tconfiguration only`,
    );
  }
}

export const RELEASE_COMMANDS: Command[] = [
  {
    path: ['release', 'list'],
    summary: 'the release presets of every family, with their data, model and training recipe',
    options: {},
    run: async (_v, p) => {
      if (p.length) throw new UsageError(`release list takes no arguments, got "${p[0]}".`);
      list();
    },
  },
  {
    path: ['release', 'train'],
    summary:
      'train a release from scratch with its recipe, test it and write a model-release package: release train <preset> --out ... --data ...',
    options: trainOptions,
    run: (v, p, argv) => trainRelease(args(v, p, argv)),
  },
  {
    path: ['release', 'finetune'],
    summary:
      'fine-tune a release and write a release folder or tar with its card: release finetune <vit|text-classifier|translator> --from ... --data ...',
    options: finetuneOptions,
    run: (v, p, argv) => finetuneRelease(args(v, p, argv)),
  },
  {
    path: ['release', 'evaluate'],
    summary:
      'test accuracy (or BLEU) of a release on its data set: release evaluate <vit|text-classifier|translator> --from ... --data ...',
    options: evaluateOptions,
    run: (v, p, argv) => evaluateRelease(args(v, p, argv)),
  },
  {
    path: ['release', 'train-tokenizer'],
    summary:
      "train a release data set's SentencePiece model: release train-tokenizer <text-classifier|translator> --data ... --out <folder>",
    options: {
      data: {
        type: 'string',
        description: 'text: IMDB or Amazon archive; translator: the Anki spa-eng .zip',
      },
      out: { type: 'string', description: 'folder for the tokenizer' },
      vocab: { type: 'string', description: 'vocabulary size (8000)' },
      limit: { type: 'string', families: TRANSLATOR, description: 'read this many pairs' },
    },
    run: async (v, p, argv) => {
      const family = familyArgument(p[0], 'release train-tokenizer', TEXT_TRANSLATOR);
      const a = args(v, p, argv);
      if (family === 'translator') return translator.trainTokenizer(a);
      const path = await text.trainReleaseTokenizer({
        data: needs(v, 'data', 'release train-tokenizer', 'archive'),
        out: needs(v, 'out', 'release train-tokenizer', 'folder'),
        vocab: intOption(a, 'vocab'),
      });
      console.log(path);
    },
  },
  {
    path: ['release', 'pretokenize'],
    summary:
      'encode a release data set once for training: release pretokenize <text-classifier|translator> --data ... --tokenizer <model> --out <file>',
    options: {
      data: {
        type: 'string',
        description: 'text: IMDB or Amazon archive; translator: the Anki spa-eng .zip',
      },
      tokenizer: { type: 'string', description: 'the tokenizer.model to encode with' },
      out: { type: 'string', description: 'text: file.bin[.gz]; translator: file.s2s' },
      'max-length': { type: 'string', families: TEXT, description: 'tokens per review (256)' },
      'add-bos': { type: 'boolean', families: TEXT, description: 'start each review with BOS' },
      polarity: { type: 'string', families: TEXT, description: 'the Amazon polarity .ft.txt.gz' },
      'source-length': { type: 'string', families: TRANSLATOR, description: 'source tokens (32)' },
      'target-length': { type: 'string', families: TRANSLATOR, description: 'target tokens (32)' },
      limit: { type: 'string', families: TRANSLATOR, description: 'read this many pairs' },
    },
    run: async (v, p, argv) => {
      const family = familyArgument(p[0], 'release pretokenize', TEXT_TRANSLATOR);
      const a = args(v, p, argv);
      if (family === 'translator') return translator.pretokenize(a);
      const r = await text.pretokenize({
        data: needs(v, 'data', 'release pretokenize', 'archive'),
        tokenizer: needs(v, 'tokenizer', 'release pretokenize', 'tokenizer.model'),
        maxLength: intOption(a, 'max-length') ?? 256,
        out: needs(v, 'out', 'release pretokenize', 'file.bin[.gz]'),
        addBos: v['add-bos'] === true,
        polarity: v.polarity as string | undefined,
      });
      console.log(
        JSON.stringify({
          out: r.out,
          bytes: r.bytes,
          splits: r.header.splits.map((s) => ({ name: s.name, count: s.count })),
        }),
      );
    },
  },
  {
    path: ['release', 'unpack'],
    summary: 'unpack release tars into models/<name> (the preset is verified): release unpack <file.tar> ...',
    options: {
      into: { type: 'string', description: 'the folder that receives <name>/ (default: models)' },
      out: { type: 'string', description: 'vit: the exact folder for one tar' },
      overwrite: { type: 'boolean', description: 'replace an existing folder' },
    },
    run: (v, p, argv) => unpack(args(v, p, argv)),
  },
  {
    path: ['release', 'pack'],
    summary: 'pack a release folder into one tar: release pack <folder> --tar <file.tar>',
    options: { tar: { type: 'string', description: 'the tar file to write' } },
    run: async (v, p) => {
      if (p.length !== 1 || typeof v.tar !== 'string')
        throw new UsageError('release pack needs one folder and --tar <file>.');
      await vit.packFolder(p[0], v.tar);
      console.log(`packed ${p[0]} into ${v.tar}`);
    },
  },
  {
    path: ['release', 'package'],
    summary:
      'a preset folder (e.g. from attnzoo finetune) as a model-release package for npm pack / npm publish: release package <preset> --name <npm name> --out <folder>',
    options: {
      name: { type: 'string', description: 'the npm package name, e.g. @you/model-reviews' },
      out: { type: 'string', description: 'the package folder to write' },
      version: { type: 'string', default: '1.0.0', description: 'the package version' },
      overwrite: { type: 'boolean', description: 'replace an existing --out folder' },
    },
    run: async (v, p) => {
      if (p.length !== 1) throw new UsageError('release package needs one preset folder.');
      const r = await packagePreset({
        preset: p[0],
        name: needs(v, 'name', 'release package', 'npm package name'),
        out: needs(v, 'out', 'release package', 'folder'),
        version: String(v.version),
        overwrite: Boolean(v.overwrite),
      });
      console.log(
        `wrote ${r.name} to ${r.out} (peer dependency ${r.peer}); publish it with: npm publish ${r.out} [--registry <url>]`,
      );
    },
  },
  {
    path: ['release', 'profile'],
    summary:
      "where a vit release's training step spends its time, on generated images: release profile <preset>",
    options: {
      ...backendOptions,
      'batch-size': { type: 'string', default: '256', description: 'batch size' },
      steps: { type: 'string', description: 'timed steps (12)' },
      summary: { type: 'string', description: 'also write the result JSON here' },
    },
    run: async (v, p, argv) => {
      const a = args(v, p, argv);
      await backendOf(v);
      const r = await profileTrainingStep(
        p[0] ?? 'vit-mnist-super',
        intOption(a, 'batch-size') ?? 256,
        intOption(a, 'steps'),
      );
      console.log(`RESULT ${JSON.stringify(r)}`);
      await writeSummary(v.summary, r);
    },
  },
  {
    path: ['bench', 'decode'],
    summary:
      "the translator's decoding speed, K/V cache against full recomputation: bench decode --data <file.s2s> [--from <preset> | --preset <name>]",
    options: {
      ...backendOptions,
      data: { type: 'string', description: 'pre-tokenized .s2s file (its test sentences)' },
      from: { type: 'string', description: 'a trained preset (name, package or folder)' },
      preset: { type: 'string', description: 'else a fresh model of this release architecture' },
      'max-length': { type: 'string', description: 'fixed output length (untrained models)' },
      sentences: { type: 'string', description: 'sentences (256)' },
      'batch-size': { type: 'string', description: 'batch size (64)' },
      ...decodingOptions,
    },
    run: (v, p, argv) => translator.benchDecode(args(v, p, argv)),
  },
  {
    path: ['bench', 'translator-train'],
    summary:
      "the translator's training speed, padded against length-bucketed batches: bench translator-train --data <file.s2s>",
    options: {
      ...backendOptions,
      data: { type: 'string', description: 'pre-tokenized .s2s file' },
      preset: { type: 'string', description: 'release architecture (translator-en-es-sdpa)' },
      'batch-size': { type: 'string', description: 'batch size (64)' },
      steps: { type: 'string', description: 'timed steps (10)' },
      warmup: { type: 'string', description: 'untimed steps (3)' },
      out: { type: 'string', description: 'folder for translator-train-<backend>.{json,md} (bench-results)' },
      ...architectureOptions,
    },
    run: (v, p, argv) => translator.benchTrain(args(v, p, argv)),
  },
];
