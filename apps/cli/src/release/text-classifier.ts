import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readTar, writeTar } from '@attnzoo/datasets/node';
import { type PresetMetadata, renderModelCard, save } from '@attnzoo/hub/node';
import {
  cleanText,
  DEFAULT_PREPROCESSOR,
  decodePretokenized,
  type EncodedTexts,
  encodePretokenized,
  FINETUNE_DEFAULTS,
  getRecipe,
  loadTextSplits,
  loadTrainingData,
  POLARITY_FILE,
  type PretokenizedHeader,
  RELEASE_RECIPES,
  type ReleaseDataset,
  type ReleaseRecipe,
  SPLIT_NOTES,
  sha256Bytes,
  spreadLimit,
  TextClassifier,
  TextPreprocessor,
  type TextPreprocessorConfig,
} from '@attnzoo/text-classifier/node';
import textClassifierPackage from '@attnzoo/text-classifier/package.json' with { type: 'json' };
import { SentencePieceTokenizer } from '@attnzoo/tokenizer';
import { trainSentencePiece } from '@attnzoo/tokenizer/node';
import { type EpochLogs, epochsWithinBudget, stepTimer } from '@attnzoo/train';

// Follows package.json, so a release's peer range moves with the package it needs.
export const TEXT_CLASSIFIER_VERSION: string = textClassifierPackage.version;

// ---------------------------------------------------------------------------------------------
// Tokenizer and pre-tokenized data

/** Trains the SentencePiece model of a data set on its training split (cleaned as the preprocessor cleans). */
export async function trainReleaseTokenizer(o: {
  data: string;
  out: string;
  vocab?: number;
}): Promise<string> {
  const { dataset, splits } = await loadTextSplits(o.data);
  if (!splits.train) throw new Error(`${o.data} has no training split to train a tokenizer on`);
  const vocab = o.vocab ?? 8000;
  await mkdir(o.out, { recursive: true });
  const prefix = join(o.out, `${dataset}-unigram-${vocab}`);
  const { modelPath, tokenizer } = await trainSentencePiece({
    inputTexts: splits.train.texts.map((t) => cleanText(t, DEFAULT_PREPROCESSOR)),
    vocabSize: vocab,
    modelType: 'unigram',
    characterCoverage: 0.9995,
    modelPrefix: prefix,
    numThreads: 2,
  });
  tokenizer.dispose();
  return modelPath;
}

export interface PretokenizeOptions {
  data: string;
  tokenizer: string;
  maxLength: number;
  out: string;
  addBos?: boolean;
  truncation?: 'end' | 'start';
  /** Amazon only: the polarity test lines to add as split `polarity-test` (default: beside `data`). */
  polarity?: string;
}

/** Encodes every split of a data set into one compact file (gzipped when `out` ends in .gz). */
export async function pretokenize(
  o: PretokenizeOptions,
): Promise<{ out: string; bytes: number; header: PretokenizedHeader }> {
  const tokBytes = new Uint8Array(readFileSync(o.tokenizer));
  const tok = await SentencePieceTokenizer.fromBytes(tokBytes);
  const config: TextPreprocessorConfig = {
    ...DEFAULT_PREPROCESSOR,
    maxLength: o.maxLength,
    addBos: o.addBos ?? false,
    truncation: o.truncation ?? 'end',
  };
  const pre = new TextPreprocessor(tok, config);
  const { dataset, splits } = await loadTextSplits(o.data);
  const polarity = o.polarity ?? join(dirname(o.data), POLARITY_FILE);
  if (dataset === 'amazon-multidomain' && existsSync(polarity)) {
    splits['polarity-test'] = (await loadTextSplits(polarity)).splits.test;
  }
  const encoded: Record<string, EncodedTexts> = {};
  for (const [name, s] of Object.entries(splits)) {
    const b = pre.encode(s.texts);
    encoded[name] = { ids: b.ids, labels: s.labels, count: b.count, maxLength: b.maxLength };
  }
  const classNames = [...(Object.values(splits)[0].classNames ?? [])];
  const bytes = encodePretokenized(
    {
      dataset,
      splitNote: SPLIT_NOTES[dataset as ReleaseDataset] ?? dataset,
      maxLength: o.maxLength,
      vocabularySize: tok.vocabularySize,
      padId: tok.padId,
      classNames,
      preprocessor: config,
      tokenizerSha256: await sha256Bytes(tokBytes),
    },
    encoded,
    tokBytes,
  );
  tok.dispose();
  const out = o.out.endsWith('.gz') ? gzipSync(bytes, { level: 9 }) : bytes;
  await mkdir(dirname(resolve(o.out)), { recursive: true });
  await writeFile(o.out, out);
  return { out: o.out, bytes: out.length, header: decodePretokenized(bytes).header };
}

// ---------------------------------------------------------------------------------------------
// Releases

export interface TrainReleaseOptions {
  preset: string;
  /** Replaces the preset's recipe (small models in tests and experiments). */
  recipe?: ReleaseRecipe;
  data: string;
  tokenizer?: string;
  /** Output path; the release is written to `<out>.tar` (`.tar` added unless present). */
  out: string;
  epochs?: number;
  /** Cap training to about this many minutes: the epochs are chosen from a short timing probe. */
  budgetMinutes?: number;
  trainLimit?: number;
  /** Validate and test on this many rows spread over each split (default: all; smoke runs only). */
  evalLimit?: number;
  backend: string;
  hardware: string;
  command: string;
  log?: (line: string) => void;
}

export interface ReleaseSummary {
  preset: string;
  tar: string;
  tarBytes: number;
  metrics: { name: string; split: string; value: number; count: number }[];
  parameters: { total: number; attention: number };
  trainSeconds: number;
  epochs: number;
  history: EpochLogs[];
  backend: string;
  hardware: string;
  command: string;
  trainExamples: number;
}

function recipePreprocessor(r: ReleaseRecipe): TextPreprocessorConfig {
  return {
    ...DEFAULT_PREPROCESSOR,
    maxLength: r.model.maxLength ?? DEFAULT_PREPROCESSOR.maxLength,
    addBos: r.model.pooling === 'class',
  };
}

/**
 * Times a few training steps of a throwaway model of the recipe's shape (after warm-up steps that
 * compile the kernels) and returns how many of `wanted` epochs fit `budgetSeconds`.
 */
async function epochsForBudget(
  r: ReleaseRecipe,
  classNames: string[],
  tok: SentencePieceTokenizer,
  train: Parameters<TextClassifier['fit']>[0]['train'],
  trainExamples: number,
  budgetSeconds: number,
  wanted: number,
  log: (line: string) => void,
): Promise<number> {
  const { batchSize } = r.training;
  const warm = 6;
  const probe = await TextClassifier.create({ ...r.model, classNames }, tok);
  const timer = stepTimer(warm);
  await probe.fit({
    train,
    epochs: 1,
    batchSize,
    lr: 1e-4,
    trainLimit: Math.min(trainExamples, batchSize * (warm + 24)),
    callbacks: [timer.callback],
  });
  probe.model.dispose();
  const perStep = timer.secondsPerStep();
  const { epochs, secondsPerEpoch } = epochsWithinBudget({
    secondsPerStep: perStep,
    stepsPerEpoch: Math.ceil(trainExamples / batchSize),
    budgetSeconds,
    wanted,
    epochOverhead: 1.15, // validation after every epoch
  });
  log(
    `budget: ${(perStep * 1000).toFixed(1)} ms/step (median of ${timer.measured()}), about ${secondsPerEpoch.toFixed(1)} s/epoch: ${epochs} of ${wanted} epochs fit ${Math.round(budgetSeconds)} s`,
  );
  return epochs;
}

/** Trains a release from scratch with its recipe, evaluates it, and writes one `<out>.tar` model-release package. */
export async function trainRelease(o: TrainReleaseOptions): Promise<ReleaseSummary> {
  const log = o.log ?? ((l: string) => console.error(l));
  const r = o.recipe ?? getRecipe(o.preset);
  const data = await loadTrainingData(o.data, {
    tokenizer: o.tokenizer,
    preprocessor: recipePreprocessor(r),
  });
  if (data.dataset !== r.dataset)
    throw new Error(`${o.preset} is trained on ${r.dataset}, but ${o.data} holds ${data.dataset}`);
  const tok = await SentencePieceTokenizer.fromBytes(data.tokenizerBytes);
  const clf = await TextClassifier.create({ ...r.model, classNames: data.classNames }, tok);
  const trainExamples = Math.min(data.splits.train.count, o.trainLimit ?? Number.POSITIVE_INFINITY);
  let epochs = o.epochs ?? r.training.epochs;
  if (o.budgetMinutes !== undefined) {
    epochs = await epochsForBudget(
      r,
      data.classNames,
      tok,
      data.splits.train,
      trainExamples,
      o.budgetMinutes * 60,
      epochs,
      log,
    );
  }
  log(
    `${o.preset}: ${trainExamples} training examples, ${epochs} epochs, ${clf.parameters().total} parameters`,
  );
  const t0 = performance.now();
  const result = await clf.fit({
    train: data.splits.train,
    validation: data.splits.validation && spreadLimit(data.splits.validation, o.evalLimit),
    epochs,
    batchSize: r.training.batchSize,
    lr: r.training.peakLr,
    weightDecay: r.training.weightDecay,
    warmupFraction: r.training.warmupFraction,
    labelSmoothing: r.training.labelSmoothing,
    trainLimit: o.trainLimit,
    earlyStopping: { patience: r.training.patience, restoreBestWeights: true },
    monitor: 'val_accuracy',
    keepBest: true,
    callbacks: [
      {
        onEpochEnd: (l) =>
          log(
            `epoch ${l.epoch + 1}: ${Object.entries(l)
              .filter(([k]) => k !== 'epoch')
              .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toFixed(4) : v}`)
              .join(', ')}`,
          ),
      },
    ],
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  const metrics: ReleaseSummary['metrics'] = [];
  for (const split of ['test', 'polarity-test']) {
    const d = data.splits[split];
    if (!d) continue;
    const e = await clf.evaluate(d, { limit: o.evalLimit });
    const name = split === 'test' ? 'test' : 'amazon-polarity-test-head';
    metrics.push({ name: 'accuracy', split: name, value: e.accuracy, count: e.count });
    log(`${o.preset}: ${name} accuracy ${(100 * e.accuracy).toFixed(2)} % on ${e.count} examples`);
  }
  const parameters = clf.parameters();
  const datasetTitle =
    r.dataset === 'imdb'
      ? 'IMDB movie reviews (Maas et al. 2011)'
      : 'Amazon multi-domain reviews (Blitzer et al. 2007)';
  const limited = o.trainLimit !== undefined || o.evalLimit !== undefined;
  const metadata: PresetMetadata = {
    name: o.preset,
    description:
      `Sentiment classifier (negative/positive) with ${r.variant} attention: SentencePiece unigram ${tok.vocabularySize} ` +
      `pieces trained on the ${r.dataset} training split, ${r.model.numBlocks} encoder block(s), width ${r.model.width}, ` +
      `${r.model.numHeads} heads, maxLength ${r.model.maxLength}, masked mean pooling.` +
      (limited
        ? ` SMOKE RUN: trained on ${trainExamples} examples, evaluated on ${metrics[0]?.count} test rows; not a release.`
        : ''),
    task: 'text-classification',
    license: 'apache-2.0',
    tags: ['sentiment', r.dataset, `attention-${r.variant}`],
    parameters: { total: parameters.total, attention: parameters.attention },
    dataset: { name: r.dataset, split: data.splitNote, description: datasetTitle },
    metrics: metrics.map((m) => ({
      name: m.name,
      value: Number(m.value.toFixed(4)),
      split: `${m.split} (${m.count} examples)`,
      command: o.command,
    })),
    training: {
      config: { recipe: r, epochsRun: result.epochs, trainExamples, best: result.best },
      durationSeconds: Math.round(trainSeconds),
      hardware: o.hardware,
      backend: o.backend,
    },
    reproduce: o.command,
  };
  const tarPath = o.out.endsWith('.tar') ? o.out : `${o.out}.tar`;
  const tmp = await mkdtemp(join(tmpdir(), 'attnzoo-release-'));
  try {
    await save(clf.model, join(tmp, 'preset'), metadata, {
      config: clf.presetConfig(),
      float16: true,
      tokenizer: data.tokenizerBytes,
    });
    const tar = await packRelease(join(tmp, 'preset'), o.preset, metadata);
    await mkdir(dirname(resolve(tarPath)), { recursive: true });
    await writeFile(tarPath, tar);
    const summary: ReleaseSummary = {
      preset: o.preset,
      tar: tarPath,
      tarBytes: tar.length,
      metrics,
      parameters,
      trainSeconds,
      epochs: result.epochs,
      history: result.history,
      backend: o.backend,
      hardware: o.hardware,
      command: o.command,
      trainExamples,
    };
    return summary;
  } finally {
    clf.dispose();
    tok.dispose();
    await rm(tmp, { recursive: true, force: true });
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out.sort();
}

/** A model-release package as one tar: `<name>/package.json`, `<name>/README.md`, `<name>/preset/...`. */
export async function packRelease(
  presetDir: string,
  name: string,
  metadata: PresetMetadata,
): Promise<Uint8Array> {
  const pkg = {
    name: `@attnzoo/model-${name}`,
    version: TEXT_CLASSIFIER_VERSION,
    description: metadata.description,
    license: 'Apache-2.0',
    files: ['preset', 'README.md'],
    attnzoo: { preset: 'preset' },
    peerDependencies: { '@attnzoo/text-classifier': `^${TEXT_CLASSIFIER_VERSION}` },
    publishConfig: { access: 'public' },
  };
  const usage = [
    '',
    '## Use',
    '',
    '```ts',
    "import { TextClassifier } from '@attnzoo/text-classifier/node';",
    `const clf = await TextClassifier.fromPretrained('@attnzoo/model-${name}');`,
    "const [p] = await clf.predict('A wonderful, moving film.');",
    '```',
    '',
  ].join('\n');
  const files = [
    { path: `${name}/package.json`, bytes: new TextEncoder().encode(`${JSON.stringify(pkg, null, 2)}\n`) },
    { path: `${name}/README.md`, bytes: new TextEncoder().encode(renderModelCard(metadata) + usage) },
  ];
  for (const f of await listFiles(presetDir)) {
    files.push({
      path: `${name}/preset/${relative(presetDir, f).split(sep).join('/')}`,
      bytes: new Uint8Array(await readFile(f)),
    });
  }
  return writeTar(files);
}

/** Unpacks a release tar into `into/<name>/` (refuses to overwrite an existing folder). */
export async function unpackRelease(
  tarPath: string,
  into: string,
  o: { overwrite?: boolean } = {},
): Promise<string> {
  const bytes = new Uint8Array(readFileSync(tarPath));
  const entries: { path: string; bytes: Uint8Array }[] = [];
  for await (const e of readTar([bytes], tarPath)) entries.push({ path: e.path, bytes: await e.bytes() });
  const tops = new Set(entries.map((e) => e.path.split('/')[0]));
  if (tops.size !== 1)
    throw new Error(
      `${tarPath} is not a release tar (expected one top folder, found ${[...tops].join(', ')})`,
    );
  const top = [...tops][0];
  if (!entries.some((e) => e.path === `${top}/package.json`))
    throw new Error(`${tarPath} has no ${top}/package.json`);
  const dest = resolve(into, top);
  if (existsSync(dest)) {
    if (!o.overwrite) throw new Error(`${dest} exists: remove it or pass --overwrite`);
    await rm(dest, { recursive: true, force: true });
  }
  for (const e of entries) {
    const p = resolve(into, e.path);
    if (!p.startsWith(dest + sep)) throw new Error(`unsafe path in ${tarPath}: ${e.path}`);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, e.bytes);
  }
  return dest;
}

/** A preset folder from a release folder (`<release>/preset`), or the folder itself. */
export function presetDirOf(folder: string): string {
  const p = join(folder, 'preset');
  return existsSync(join(p, 'manifest.json')) ? p : folder;
}

export function hardwareDescription(adapter?: string): string {
  const cpu = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  return adapter ? `${adapter}; host ${cpu}` : `${cpu} (${cpus().length} threads)`;
}

// ---------------------------------------------------------------------------------------------
// Fine-tuning and evaluating a release (`attnzoo release finetune|evaluate text-classifier`)

async function loadClassifier(from: string): Promise<{ clf: TextClassifier; cleanup: () => Promise<void> }> {
  if (from.endsWith('.tar')) {
    const tmp = await mkdtemp(join(tmpdir(), 'attnzoo-from-'));
    const dir = await unpackRelease(from, tmp);
    const clf = await TextClassifier.fromPretrained(presetDirOf(dir));
    return { clf, cleanup: () => rm(tmp, { recursive: true, force: true }) };
  }
  const source = existsSync(from) ? presetDirOf(from) : from;
  return { clf: await TextClassifier.fromPretrained(source), cleanup: async () => {} };
}

export interface FinetuneReleaseOptions {
  /** evaluate: accuracy only; finetune: accuracy before, fine-tuning, accuracy after, optional preset or tar. */
  mode: 'evaluate' | 'finetune';
  from: string;
  data: string;
  split?: string;
  evalLimit?: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  trainLimit?: number;
  /** A preset folder, or a release tar when it ends in .tar. */
  out?: string;
  backend: string;
  hardware: string;
  command: string;
  log?: (line: string) => void;
}

/** Accuracy of a text-classifier preset (folder, name or release tar) on a split, before and after fine-tuning. */
export async function finetuneRelease(o: FinetuneReleaseOptions): Promise<Record<string, unknown>> {
  const log = o.log ?? ((l: string) => console.error(l));
  const { clf, cleanup } = await loadClassifier(o.from);
  try {
    const data = await loadTrainingData(o.data, {
      preprocessor: clf.config.preprocessor,
      tokenizerBytes: clf.tokenizer.bytes,
    });
    const split = o.split ?? 'test';
    const before = await clf.evaluate(data.splits[split], { limit: o.evalLimit });
    log(
      `${o.mode === 'finetune' ? 'before: ' : ''}${split} accuracy ${(100 * before.accuracy).toFixed(2)} % on ${before.count}`,
    );
    if (o.mode === 'evaluate') return { split, ...before, backend: o.backend };
    const t0 = performance.now();
    // Defaults per preset (the recipe's fine-tuning settings), else the family's.
    const ft = RELEASE_RECIPES[clf.metadata?.name ?? '']?.finetune ?? FINETUNE_DEFAULTS;
    const epochs = o.epochs ?? ft.epochs;
    const r = await clf.fit({
      train: data.splits.train,
      validation: data.splits.validation && spreadLimit(data.splits.validation, o.evalLimit),
      epochs,
      batchSize: o.batchSize ?? ft.batchSize,
      lr: o.lr ?? ft.lr,
      trainLimit: o.trainLimit,
      callbacks: [{ onEpochEnd: (l) => log(`epoch ${l.epoch + 1}: loss ${l.loss.toFixed(4)}`) }],
    });
    const seconds = (performance.now() - t0) / 1000;
    const after = await clf.evaluate(data.splits[split], { limit: o.evalLimit });
    const extra: Record<string, number> = {};
    if (data.splits['polarity-test']) {
      extra.polarityAccuracy = (
        await clf.evaluate(data.splits['polarity-test'], { limit: o.evalLimit })
      ).accuracy;
    }
    const result = {
      from: o.from,
      data: data.dataset,
      split,
      count: after.count,
      before: before.accuracy,
      after: after.accuracy,
      ...extra,
      epochs: r.epochs,
      seconds,
      backend: o.backend,
      hardware: o.hardware,
      command: o.command,
    };
    log(`after:  ${split} accuracy ${(100 * after.accuracy).toFixed(2)} % (${seconds.toFixed(1)} s)`);
    if (o.out) {
      const name = `${clf.metadata?.name ?? 'textcls'}-finetuned-${data.dataset}`;
      const metadata = {
        name,
        description: `${clf.metadata?.name ?? 'a text classifier'} fine-tuned for ${epochs} epoch(s) on ${data.dataset}`,
        task: 'text-classification',
        metrics: [
          {
            name: 'accuracy',
            value: Number(after.accuracy.toFixed(4)),
            split: `${split} (${after.count})`,
            command: o.command,
          },
        ],
        training: { durationSeconds: Math.round(seconds), backend: o.backend, hardware: o.hardware },
        reproduce: o.command,
      };
      const options = { config: clf.presetConfig(), float16: true, tokenizer: data.tokenizerBytes };
      if (o.out.endsWith('.tar')) {
        const tmp = await mkdtemp(join(tmpdir(), 'attnzoo-ft-'));
        await save(clf.model, join(tmp, 'preset'), metadata, options);
        await writeFile(o.out, await packRelease(join(tmp, 'preset'), name, metadata));
        await rm(tmp, { recursive: true, force: true });
      } else {
        await save(clf.model, o.out, metadata, options);
      }
    }
    return result;
  } finally {
    clf.dispose();
    await cleanup();
  }
}
