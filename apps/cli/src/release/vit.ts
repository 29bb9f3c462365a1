import { promises as fs } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { modelCost } from '@attnzoo/attention';
import {
  type ImageSplit,
  readTar,
  safeEntryPath,
  selectExamples,
  stratifiedSample,
  writeTar,
} from '@attnzoo/datasets';
import { type PresetMetadata, renderModelCard } from '@attnzoo/hub';
import { fromPretrained } from '@attnzoo/hub/node';
import {
  type Callback,
  type EpochLogs,
  epochsWithinBudget,
  pauseAtTimeLimit,
  progressBar,
  stepTimer,
} from '@attnzoo/train';
import { DiskCheckpointStore } from '@attnzoo/train/node';
import {
  FINETUNE_DEFAULTS,
  getRecipe,
  ImageClassifier,
  type ImageDatasetName,
  loadImageData,
  type ReleaseRecipe,
  releasePackageName,
  SAMPLE_SPLIT,
  saveClassifier,
  type ViTBackboneConfig,
} from '@attnzoo/vit/node';
// The release's peer range follows @attnzoo/vit's own version, so a bump cannot strand releases.
import vitPackage from '@attnzoo/vit/package.json' with { type: 'json' };

export type Log = (line: string) => void;

/** Where and how a run happened, for the model card. */
export interface RunEnvironment {
  /** e.g. `webgpu (adapter nvidia hopper ...)`. */
  backend: string;
  hardware: string;
  /** The exact command line, written into the card. */
  command: string;
}

/** Plain progress lines (no TTY redraw), plus the epochs collected into `epochs` when given. */
function progress(log: Log, epochs?: EpochLogs[], every = 50): Callback[] {
  const bar = progressBar({ tty: false, every, write: (t) => log(t.trimEnd()) });
  return epochs ? [bar, { onEpochEnd: (e) => void epochs.push(e) }] : [bar];
}

/**
 * Times `steps` training steps of a throwaway model with the recipe's shapes (after a few
 * warm-up steps that compile the kernels) and returns the epochs that fit `budgetSeconds`.
 */
async function epochsForBudget(
  recipe: ReleaseRecipe,
  train: ImageSplit,
  budgetSeconds: number,
  wanted: number,
  log: Log,
): Promise<number> {
  const { batchSize } = recipe.training;
  const steps = 24;
  // Skip the first steps (kernel compilation), fewer when the data set is small.
  const warm = Math.min(8, Math.floor(Math.ceil(train.count / batchSize) / 3));
  const probe = ImageClassifier.create({
    backbone: recipe.backbone,
    preprocessor: recipe.preprocessor,
    numClasses: recipe.numClasses,
  });
  const timer = stepTimer(warm);
  await probe.fit({
    train,
    epochs: 1,
    batchSize,
    trainLimit: Math.min(train.count, batchSize * (warm + steps)),
    lr: 1e-4,
    callbacks: [timer.callback],
  });
  probe.dispose();
  const perStep = timer.secondsPerStep();
  const { epochs, secondsPerEpoch } = epochsWithinBudget({
    secondsPerStep: perStep,
    stepsPerEpoch: Math.ceil(train.count / batchSize),
    budgetSeconds,
    wanted,
  });
  log(
    `budget: ${(perStep * 1000).toFixed(1)} ms/step (median of ${timer.measured()}), about ${secondsPerEpoch.toFixed(1)} s/epoch: ` +
      `${epochs} of ${wanted} epochs fit ${Math.round(budgetSeconds)} s`,
  );
  return epochs;
}

export interface TrainReleaseOptions {
  name: string;
  /** The release folder to write (package.json, README.md, preset/, training-log.jsonl). */
  out: string;
  /** Also pack the folder into this uncompressed tar file. */
  tar?: string;
  epochs?: number;
  /** Cap training to about this many minutes: epochs are chosen from a short timing probe. */
  budgetMinutes?: number;
  /** Folder for a checkpoint after every epoch (weights, AdamW state, RNG, step). */
  checkpoints?: string;
  /** Continue from the last checkpoint in `checkpoints` (same command, same schedule). */
  resume?: boolean;
  /**
   * Stop after the epoch whose successor would end past this many minutes from the start of the
   * call (a `TrainingPaused` error; its checkpoint is saved): for schedules longer than one lease.
   */
  timeLimitMinutes?: number;
  batchSize?: number;
  data?: string;
  trainLimit?: number;
  testLimit?: number;
  overwrite?: boolean;
  /** Changes to the recipe's backbone (smoke runs and tests: a tiny model); recorded in the card. */
  backbone?: Partial<ViTBackboneConfig>;
  env: RunEnvironment;
  log?: Log;
}

export interface ReleaseSummary {
  name: string;
  dataset: string;
  variant: string;
  epochs: number;
  trainImages: number;
  testImages: number;
  /** Test accuracy of the saved (float16) weights. */
  testAccuracy: number;
  testLoss: number;
  /** Test accuracy of the float32 weights before saving. */
  testAccuracyFloat32: number;
  /** Accuracy of the saved weights on a seeded stratified test sample, 100 per class (SAMPLE_SPLIT). */
  sampleAccuracy: number;
  parameters: { total: number; attention: number };
  trainSeconds: number;
  totalSeconds: number;
  backend: string;
  hardware: string;
  command: string;
  out: string;
  tar?: string;
  bytes: number;
}

const DATASET_TITLES: Record<ImageDatasetName, { name: string; url: string }> = {
  mnist: { name: 'MNIST', url: 'http://yann.lecun.com/exdb/mnist/' },
  'fashion-mnist': { name: 'Fashion-MNIST', url: 'https://github.com/zalandoresearch/fashion-mnist' },
  'cifar-10-jpeg': {
    name: 'CIFAR-10 (JPEG q75 re-encoding)',
    url: 'https://www.cs.toronto.edu/~kriz/cifar.html',
  },
  'cifar-100': { name: 'CIFAR-100', url: 'https://www.cs.toronto.edu/~kriz/cifar.html' },
};

/** Writes package.json, README.md and an extra log beside a saved preset/ folder. */
async function writeReleasePackage(
  out: string,
  metadata: PresetMetadata,
  extras: Record<string, string>,
): Promise<void> {
  const pkg = {
    name: releasePackageName(metadata.name),
    version: '0.1.0',
    description: metadata.description,
    license: 'Apache-2.0',
    files: ['preset', 'README.md'],
    attnzoo: { preset: 'preset' },
    peerDependencies: { '@attnzoo/vit': `^${vitPackage.version}` },
    publishConfig: { access: 'public' },
  };
  await fs.writeFile(join(out, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  const usage = [
    '## Use',
    '',
    '```sh',
    `npm install @attnzoo/vit ${pkg.name}`,
    '```',
    '',
    '```ts',
    "import { ImageClassifier } from '@attnzoo/vit/node';",
    '',
    `const classifier = await ImageClassifier.fromPretrained(${JSON.stringify(metadata.name)});`,
    'const [top] = await classifier.predict(pngOrJpegBytes); // { label, probability, probabilities, top }',
    '```',
    '',
  ].join('\n');
  const card = renderModelCard(metadata);
  await fs.writeFile(join(out, 'README.md'), `${card}\n${usage}`);
  for (const [name, text] of Object.entries(extras)) await fs.writeFile(join(out, name), text);
}

/**
 * Trains a preset from scratch with its recipe on the full official training split, measures
 * the official test split with the saved float16 weights, and writes a model-release package:
 * `package.json` (@attnzoo/model-<name>, peer @attnzoo/vit), `README.md` model card,
 * `preset/` (hub format) and `training-log.jsonl`; optionally packed into one tar.
 */
export async function trainRelease(o: TrainReleaseOptions): Promise<ReleaseSummary> {
  const log = o.log ?? ((l: string) => console.log(l));
  const started = performance.now();
  if ((o.resume || o.timeLimitMinutes !== undefined) && !o.checkpoints)
    throw new Error(
      '--resume and --time-limit-minutes need --checkpoints <folder> (where the run is saved each epoch).',
    );
  if (o.timeLimitMinutes !== undefined && o.budgetMinutes !== undefined)
    throw new Error(
      '--time-limit-minutes splits a fixed schedule across calls; --budget-minutes shrinks it to one call: pass one of them.',
    );
  const base = getRecipe(o.name);
  const recipe: ReleaseRecipe = { ...base, backbone: { ...base.backbone, ...o.backbone } };
  const batchSize = o.batchSize ?? recipe.training.batchSize;
  const r = { ...recipe, training: { ...recipe.training, batchSize } };
  log(`${o.name}: loading ${recipe.dataset}${o.data ? ` from ${o.data}` : ''}`);
  const data = await loadImageData(recipe.dataset, {
    data: o.data,
    trainLimit: o.trainLimit,
    testLimit: o.testLimit,
    seed: recipe.training.seed,
  });
  const train = data.train!;
  const test = data.test!;
  log(`${o.name}: ${train.count} training and ${test.count} test images (${data.source})`);
  let epochs = o.epochs ?? recipe.training.epochs;
  if (o.budgetMinutes !== undefined)
    epochs = await epochsForBudget(r, train, o.budgetMinutes * 60, epochs, log);

  const classifier = ImageClassifier.create({
    backbone: recipe.backbone,
    preprocessor: recipe.preprocessor,
    numClasses: recipe.numClasses,
    classNames: train.classNames ? [...train.classNames] : undefined,
  });
  const cost = modelCost(classifier.model);
  log(
    `${o.name}: ${cost.totalParameters} parameters (${cost.attentionParameters} in attention); ${epochs} epochs, batch ${batchSize}`,
  );
  const store = o.checkpoints ? new DiskCheckpointStore(resolve(o.checkpoints)) : undefined;
  const pause =
    o.timeLimitMinutes !== undefined
      ? [
          pauseAtTimeLimit({
            limitSeconds: o.timeLimitMinutes * 60,
            startedAt: started,
            // Test evaluation three times (float32, float16 full and first 1,000) and saving.
            reserveSeconds: 45,
          }),
        ]
      : [];
  let startEpoch = 0;
  const result = await classifier.fit({
    train,
    test,
    epochs,
    batchSize,
    lr: recipe.training.peakLr,
    warmupFraction: recipe.training.warmupFraction,
    weightDecay: recipe.training.weightDecay,
    labelSmoothing: recipe.training.labelSmoothing,
    clipNorm: recipe.training.clipNorm,
    seed: recipe.training.seed,
    checkpoints: store,
    resume: o.resume,
    callbacks: [
      // The trainer's result has the whole history, also of earlier calls when resumed.
      ...progress(log),
      {
        onTrainBegin: (info) => {
          startEpoch = info.startEpoch;
        },
      },
      ...pause,
    ],
  });
  // The whole schedule, also the epochs of earlier calls when resumed.
  const history = result.history;
  const trainSeconds = history.reduce((s, h) => s + h.seconds, 0);
  const parts =
    startEpoch > 0 ? ` (resumed at epoch ${startEpoch + 1} from a checkpoint of an earlier call)` : '';
  const float32Accuracy = result.test?.accuracy ?? Number.NaN;
  log(
    `${o.name}: float32 test accuracy ${(100 * float32Accuracy).toFixed(2)} % after ${trainSeconds.toFixed(0)} s of training${parts}`,
  );

  // Save, then measure what is actually released: the float16 weights read back.
  const out = resolve(o.out);
  const presetDir = join(out, 'preset');
  await fs.mkdir(out, { recursive: true });
  const draft: PresetMetadata = { name: o.name };
  await saveClassifier(classifier, presetDir, draft, { overwrite: true });
  classifier.dispose();
  const released = await ImageClassifier.fromPretrained(presetDir);
  const full = await released.evaluate(test);
  // A seeded stratified sample (100 per class) stands for the split on the card: CIFAR-10's test
  // images come class by class, so a prefix would be one class.
  const head = await released.evaluate(selectExamples(test, stratifiedSample(test.labels, 100, 0)));
  log(
    `${o.name}: float16 test accuracy ${(100 * full.accuracy).toFixed(2)} % (${full.count} images); seeded stratified sample of ${head.count}: ${(100 * head.accuracy).toFixed(2)} %`,
  );

  const title = DATASET_TITLES[recipe.dataset];
  const testDescription =
    test.count === 10000
      ? 'official test split (10,000 images)'
      : `seeded subset of ${test.count} official test images`;
  const trainDescription =
    `trained on ${train.count} training images` +
    (train.count < 50000
      ? ' (a seeded subset: a smoke run, not a release)'
      : ' (the whole official training split, no hold-out)');
  const metadata: PresetMetadata = {
    name: o.name,
    description:
      recipe.description +
      (recipe.dataNote ? ` ${recipe.dataNote}` : '') +
      ` Weights stored as float16; accuracies below are of these float16 weights.`,
    task: 'image-classification',
    license: 'Apache-2.0',
    tags: ['vision-transformer', `attention-${recipe.backbone.variant}`, recipe.dataset],
    parameters: { total: cost.totalParameters, attention: cost.attentionParameters },
    dataset: {
      name: title.name,
      url: title.url,
      split: 'test',
      description: `${trainDescription}; evaluated on the ${testDescription}; data read from ${basename(data.source)}.`,
    },
    metrics: [
      {
        name: 'accuracy',
        value: round(full.accuracy),
        split: 'test',
        command: evaluateCommand(o.name, recipe.dataset),
      },
      {
        name: 'loss',
        value: round(full.loss),
        split: 'test',
        command: evaluateCommand(o.name, recipe.dataset),
      },
      {
        name: 'accuracy',
        value: round(head.accuracy),
        split: SAMPLE_SPLIT,
        command: `${evaluateCommand(o.name, recipe.dataset)} --per-class 100`,
      },
    ],
    training: {
      config: {
        backbone: recipe.backbone,
        preprocessor: recipe.preprocessor,
        ...r.training,
        epochs,
        trainImages: train.count,
        float32TestAccuracy: round(float32Accuracy),
        ...(startEpoch > 0 ? { resumedAtEpoch: startEpoch + 1 } : {}),
        optimizer: 'adamw',
        schedule: 'linear warm-up then cosine decay to 0',
      },
      durationSeconds: Math.round(trainSeconds),
      hardware: o.env.hardware,
      backend: o.env.backend,
    },
    reproduce: o.env.command,
  };
  // Final preset with the full metadata (the weights are the ones just measured).
  await saveClassifier(released, presetDir, metadata, { overwrite: true });
  released.dispose();
  const logLines = history.map((h) => JSON.stringify(h)).join('\n');
  await writeReleasePackage(out, metadata, { 'training-log.jsonl': `${logLines}\n` });
  const summary: ReleaseSummary = {
    name: o.name,
    dataset: recipe.dataset,
    variant: recipe.backbone.variant,
    epochs,
    trainImages: train.count,
    testImages: test.count,
    testAccuracy: full.accuracy,
    testLoss: full.loss,
    testAccuracyFloat32: float32Accuracy,
    sampleAccuracy: head.accuracy,
    parameters: { total: cost.totalParameters, attention: cost.attentionParameters },
    trainSeconds,
    totalSeconds: (performance.now() - started) / 1000,
    backend: o.env.backend,
    hardware: o.env.hardware,
    command: o.env.command,
    out,
    bytes: await folderBytes(out),
  };
  await fs.writeFile(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  if (o.tar) {
    await packFolder(out, o.tar);
    summary.tar = resolve(o.tar);
  }
  return summary;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

function evaluateCommand(name: string, dataset: ImageDatasetName): string {
  return `npx attnzoo release evaluate vit --from ${name} --data ${dataset}`;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const items = await fs.readdir(d, { withFileTypes: true });
    items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const it of items) {
      const p = join(d, it.name);
      if (it.isDirectory()) await walk(p);
      else if (it.isFile()) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

async function folderBytes(dir: string): Promise<number> {
  let n = 0;
  for (const f of await listFiles(dir)) n += (await fs.stat(f)).size;
  return n;
}

/** Packs every file under `dir` into one uncompressed tar (paths relative to `dir`). */
export async function packFolder(dir: string, tarPath: string): Promise<void> {
  const root = resolve(dir);
  const files = [];
  for (const f of await listFiles(root)) {
    files.push({ path: relative(root, f).split(sep).join('/'), bytes: new Uint8Array(await fs.readFile(f)) });
  }
  await fs.mkdir(dirname(resolve(tarPath)), { recursive: true });
  await fs.writeFile(tarPath, writeTar(files));
}

/**
 * Unpacks a release tar into `outDir` (which must not exist, unless overwrite) and checks that
 * the preset inside loads. Returns the files written.
 */
export async function unpackRelease(
  tarPath: string,
  outDir: string,
  options: { overwrite?: boolean; verify?: boolean } = {},
): Promise<string[]> {
  const target = resolve(outDir);
  const exists = await fs.stat(target).then(
    () => true,
    () => false,
  );
  if (exists && !options.overwrite)
    throw new Error(`${target} already exists: pass --overwrite to replace it.`);
  const temp = `${target}.unpack-${process.pid}`;
  await fs.rm(temp, { recursive: true, force: true });
  const written: string[] = [];
  try {
    const bytes = new Uint8Array(await fs.readFile(tarPath));
    for await (const entry of readTar([bytes], basename(tarPath))) {
      const path = safeEntryPath(entry.path, basename(tarPath));
      const dest = join(temp, ...path.split('/'));
      await fs.mkdir(dirname(dest), { recursive: true });
      await fs.writeFile(dest, await entry.bytes());
      written.push(path);
    }
    if (!written.includes('preset/manifest.json')) {
      throw new Error(
        `${tarPath} holds no preset/manifest.json: it is not a release packed by train-release.`,
      );
    }
    if (options.verify ?? true) {
      const loaded = await fromPretrained(join(temp, 'preset'));
      loaded.model.dispose();
    }
    if (exists) await fs.rm(target, { recursive: true, force: true });
    await fs.mkdir(dirname(target), { recursive: true });
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true });
    throw error;
  }
  return written.sort();
}

/** The preset folder of a source: a release folder (with preset/) or a preset folder itself. */
export async function presetSource(source: string): Promise<string> {
  const nested = join(source, 'preset', 'manifest.json');
  const isRelease = await fs.stat(nested).then(
    () => true,
    () => false,
  );
  return isRelease ? join(source, 'preset') : source;
}

export interface FinetuneOptions {
  /** Preset name, release folder, preset folder, URL or package. */
  from: string;
  dataset: ImageDatasetName;
  data?: string;
  epochs?: number;
  batchSize?: number;
  peakLr?: number;
  trainLimit?: number;
  testLimit?: number;
  /** Keep the old head even when the labels differ (default: a new head unless the class names match). */
  keepHead?: boolean;
  /** Write the fine-tuned model as a release folder here (and optionally a tar). */
  out?: string;
  tar?: string;
  name?: string;
  env: RunEnvironment;
  log?: Log;
}

export interface FinetuneSummary {
  from: string;
  dataset: string;
  epochs: number;
  trainImages: number;
  testImages: number;
  newHead: boolean;
  /** Accuracy on the test split before fine-tuning (only with the original head). */
  testAccuracy: number;
  testLoss: number;
  trainSeconds: number;
  backend: string;
  hardware: string;
  command: string;
  out?: string;
}

/**
 * Fine-tunes a pretrained classifier on another image data set (converting size and channels
 * when they differ), replacing the head when the labels differ, and reports test accuracy.
 */
export async function finetune(o: FinetuneOptions): Promise<FinetuneSummary> {
  const log = o.log ?? ((l: string) => console.log(l));
  const source = o.from.includes('/') || o.from.startsWith('.') ? await presetSource(o.from) : o.from;
  let classifier = await ImageClassifier.fromPretrained(source);
  log(
    `finetune: loaded ${o.from} (${classifier.config.backbone.variant} attention, ${classifier.config.numClasses} classes)`,
  );
  const data = await loadImageData(o.dataset, {
    data: o.data,
    trainLimit: o.trainLimit,
    testLimit: o.testLimit,
  });
  const train = classifier.preprocessor.convertSplit(data.train!);
  const test = classifier.preprocessor.convertSplit(data.test!);
  const names = train.classNames ? [...train.classNames] : undefined;
  const sameLabels =
    names !== undefined &&
    names.length === classifier.classNames.length &&
    names.every((n, i) => n === classifier.classNames[i]);
  const newHead = !o.keepHead && !sameLabels;
  if (newHead) {
    const numClasses = names?.length ?? classifier.config.numClasses;
    classifier = classifier.withNewHead(numClasses, names);
    log(`finetune: new ${numClasses}-class head (${names?.join(', ') ?? 'unnamed classes'})`);
  }
  const epochs = o.epochs ?? FINETUNE_DEFAULTS.epochs;
  const batchSize = o.batchSize ?? FINETUNE_DEFAULTS.batchSize;
  log(
    `finetune: ${train.count} training and ${test.count} test images of ${o.dataset} (${data.source}); ${epochs} epoch(s)`,
  );
  const history: EpochLogs[] = [];
  const t0 = performance.now();
  const result = await classifier.fit({
    train,
    test,
    epochs,
    batchSize,
    lr: o.peakLr ?? FINETUNE_DEFAULTS.lr,
    weightDecay: FINETUNE_DEFAULTS.weightDecay,
    warmupFraction: FINETUNE_DEFAULTS.warmupFraction,
    callbacks: progress(log, history),
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  const summary: FinetuneSummary = {
    from: o.from,
    dataset: o.dataset,
    epochs,
    trainImages: train.count,
    testImages: test.count,
    newHead,
    testAccuracy: result.test?.accuracy ?? Number.NaN,
    testLoss: result.test?.loss ?? Number.NaN,
    trainSeconds,
    backend: o.env.backend,
    hardware: o.env.hardware,
    command: o.env.command,
  };
  log(
    `finetune: test accuracy ${(100 * summary.testAccuracy).toFixed(2)} % after ${trainSeconds.toFixed(0)} s`,
  );
  if (o.out) {
    const out = resolve(o.out);
    const name = o.name ?? `vit-${o.dataset}-finetuned`;
    const cost = modelCost(classifier.model);
    const metadata: PresetMetadata = {
      name,
      description: `${o.from} fine-tuned on ${o.dataset} for ${epochs} epoch(s)${newHead ? ' with a new head' : ''}.`,
      task: 'image-classification',
      license: 'Apache-2.0',
      parameters: { total: cost.totalParameters, attention: cost.attentionParameters },
      dataset: { name: DATASET_TITLES[o.dataset].name, url: DATASET_TITLES[o.dataset].url, split: 'test' },
      metrics: [
        { name: 'accuracy', value: round(summary.testAccuracy), split: 'test', command: o.env.command },
      ],
      training: {
        config: {
          ...FINETUNE_DEFAULTS,
          from: o.from,
          epochs,
          batchSize,
          peakLr: o.peakLr ?? FINETUNE_DEFAULTS.lr,
        },
        durationSeconds: Math.round(trainSeconds),
        hardware: o.env.hardware,
        backend: o.env.backend,
      },
      reproduce: o.env.command,
    };
    await fs.mkdir(out, { recursive: true });
    await saveClassifier(classifier, join(out, 'preset'), metadata, { overwrite: true });
    await writeReleasePackage(out, metadata, {
      'training-log.jsonl': `${history.map((h) => JSON.stringify(h)).join('\n')}\n`,
      'summary.json': `${JSON.stringify(summary, null, 2)}\n`,
    });
    summary.out = out;
    if (o.tar) await packFolder(out, o.tar);
  }
  classifier.dispose();
  return summary;
}

/** Accuracy of a preset on a data set's test split (all of it, or the first `limit` images). */
export async function evaluatePreset(
  from: string,
  dataset: ImageDatasetName,
  opts: { data?: string; limit?: number; perClass?: number; seed?: number } = {},
): Promise<{ loss: number; accuracy: number; count: number }> {
  const source = from.includes('/') || from.startsWith('.') ? await presetSource(from) : from;
  const classifier = await ImageClassifier.fromPretrained(source);
  try {
    const { test } = await loadImageData(dataset, { data: opts.data, splits: ['test'] });
    // A seeded stratified sample stands for the split; a prefix of class-ordered data does not.
    // --limit N: N examples spread evenly over the split (as for texts and pairs), not its first N.
    const n = test!.count;
    const split =
      opts.perClass !== undefined
        ? selectExamples(test!, stratifiedSample(test!.labels, opts.perClass, opts.seed ?? 0))
        : opts.limit !== undefined && opts.limit < n
          ? selectExamples(
              test!,
              Array.from({ length: opts.limit }, (_, i) => Math.floor((i * n) / opts.limit!)),
            )
          : test!;
    return await classifier.evaluate(split);
  } finally {
    classifier.dispose();
  }
}
