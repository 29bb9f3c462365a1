import { readFileSync } from 'node:fs';
import type { AttentionVariant } from '@attnzoo/attention';
import {
  GEMM_TILES,
  planGemm,
  setWebGPUGemm,
  timeRawDispatches,
  webgpuCensus,
  webgpuGemmEnabled,
} from '@attnzoo/runtime';
import { buildTranslator, DEFAULT_CONFIG } from '@attnzoo/seq2seq-translator';
import { buildTextClassifierModel, getRecipe, textClassifierConfig } from '@attnzoo/text-classifier';
import {
  accuracy,
  type Batch,
  type Callback,
  type Rng,
  type StepReplayReport,
  setStepReplay,
  type TrainOptions,
  train,
} from '@attnzoo/train';
import { ImageClassifier, RELEASE_RECIPES } from '@attnzoo/vit';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { chooseBackend } from '../backend';
import { UsageError } from '../command';
import { measurementEnvironment } from '../environment';
import { writeReport } from '../report/write-report';

/**
 * The TypeScript side of the side-by-side benchmark against PyTorch (scripts/device/vs-pytorch.py
 * times the same architectures; vs-pytorch-merge.py joins the two JSON files): one training step
 * of each release architecture at the same batch, and matrix products at the models' own shapes,
 * with attnzoo's WebGPU products on and off in the same process.
 */

export const VS_PYTORCH_MODELS = ['vit-mnist', 'vit-cifar10', 'textcls-imdb', 'translator-en-es'] as const;
export type VsPytorchModel = (typeof VS_PYTORCH_MODELS)[number];

export interface BenchVsPytorchOptions {
  backend?: string;
  webgpuAdapter?: string;
  batch: number;
  steps: number;
  warmup: number;
  models: VsPytorchModel[];
  variants: AttentionVariant[];
  /** Translator source/target lengths timed (one row each). */
  translatorLengths: number[];
  /** JSON list of {name, batch, M, K, N, transA, transB}; none: no product rows. */
  gemmShapes?: string;
  /** Also time every tile (and split counts) per product: the planner's tuning data. */
  gemmSweep: boolean;
  /** 'both': each row with attnzoo's products on and with tfjs's stock kernels. */
  engine: 'on' | 'off' | 'both';
  out: string;
}

export interface StepRow {
  model: VsPytorchModel;
  variant: AttentionVariant;
  batch: number;
  length?: number;
  /** on: attnzoo's products and step replay; eager: the same products op by op; off: tfjs's products op by op. */
  engine: 'on' | 'eager' | 'off';
  ms: number;
  /** Dispatches of one step run op by op (a replayed step sends the same ones in one command buffer per half). */
  dispatches?: number;
  /** Steps of the timed run that were replayed, and why shapes fell back to op by op. */
  replayed?: number;
  replayFallbacks?: string[];
  parameters: number;
}

export interface GemmShapeSpec {
  name: string;
  batch: number;
  M: number;
  K: number;
  N: number;
  transA: boolean;
  transB: boolean;
}

export interface GemmRow extends GemmShapeSpec {
  engine: 'on' | 'off';
  /** The planner's choice (engine on), or the forced tile/splits of a sweep row. */
  tile?: string;
  splits?: number;
  /** GPU kernel ms where the adapter has timestamp queries, else wall-clock ms. */
  ms: number;
  tflops: number;
  wallMs: number;
  timing: 'gpu-timestamps' | 'wall-clock';
  /** A forced tile/split of --gemm-sweep (tuning data), not the planner's choice. */
  sweep?: boolean;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : Number.NaN;
}

interface Workload {
  model: LayersModel;
  length?: number;
  /** Batches already on the device; each step trains on a clone of one (train() disposes its batch). */
  batches: Batch[];
  options: Omit<TrainOptions, 'model' | 'train' | 'epochs'>;
}

function randomInts(n: number, max: number, rng: () => number, min = 0): Int32Array {
  return Int32Array.from({ length: n }, () => min + Math.floor(rng() * (max - min)));
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function workloads(name: VsPytorchModel, variant: AttentionVariant, o: BenchVsPytorchOptions): Workload[] {
  const rng = lcg(7);
  const B = o.batch;
  const nBatches = 2;
  if (name === 'vit-mnist' || name === 'vit-cifar10') {
    const recipe = RELEASE_RECIPES[`${name}-${variant}`];
    const clf = ImageClassifier.create({
      backbone: recipe.backbone,
      preprocessor: recipe.preprocessor,
      numClasses: recipe.numClasses,
    });
    const { imageSize: s, channels: c } = recipe.preprocessor;
    const batches = Array.from({ length: nBatches }, () => ({
      xs: tf.randomNormal([B, s, s, c], 0, 1, 'float32', 1),
      ys: tf.tensor1d(randomInts(B, recipe.numClasses, rng), 'int32'),
    }));
    return [{ model: clf.model, batches, options: { metrics: [accuracy()], clipNorm: 1 } }];
  }
  if (name === 'textcls-imdb') {
    const recipe = getRecipe(`textcls-imdb-${variant}`);
    const model = buildTextClassifierModel(
      textClassifierConfig({ ...recipe.model, vocabularySize: recipe.vocabularySize, padId: 0 }),
    );
    const L = recipe.model.maxLength ?? 256;
    const batches = Array.from({ length: nBatches }, () => ({
      xs: tf.tensor2d(randomInts(B * L, recipe.vocabularySize, rng, 1), [B, L], 'int32'),
      ys: tf.tensor1d(randomInts(B, 2, rng), 'int32'),
    }));
    return [{ model, length: L, batches, options: { metrics: [accuracy()], clipNorm: 1 } }];
  }
  const vocabularySize = 8000;
  return o.translatorLengths.map((L) => {
    const models = buildTranslator({
      ...DEFAULT_CONFIG,
      variant,
      vocabularySize,
      padId: 0,
      unkId: 1,
      bosId: 2,
      eosId: 3,
      seed: 1,
    });
    const batches = Array.from({ length: nBatches }, () => ({
      xs: [
        tf.tensor2d(randomInts(B * L, vocabularySize, rng, 4), [B, L], 'int32'),
        tf.tensor2d(randomInts(B * L, vocabularySize, rng, 4), [B, L], 'int32'),
      ],
      ys: tf.tensor2d(randomInts(B * L, vocabularySize, rng, 4), [B, L], 'int32'),
    }));
    return {
      model: models.model,
      length: L,
      batches,
      options: {
        numClasses: vocabularySize,
        fromLogits: true,
        ignoreIndex: 0,
        labelSmoothing: 0.1,
        clipNorm: 1,
        validateLabels: false,
        trainMetrics: false,
      },
    };
  });
}

/** A batch sharing the device data of `b` (train() disposes the batches it is given). */
function cloneBatch(b: Batch): Batch {
  const xs = Array.isArray(b.xs) ? b.xs.map((t) => tf.clone(t)) : tf.clone(b.xs as tf.Tensor);
  return { xs, ys: tf.clone(b.ys) } as Batch;
}

/** Median step time after warm-up, with the trainer the releases use (AdamW, clipping, loss read-back). */
async function timeSteps(
  w: Workload,
  o: BenchVsPytorchOptions,
): Promise<{ ms: number; replay?: StepReplayReport }> {
  const total = o.warmup + o.steps;
  const ends: number[] = [];
  const timer: Callback = { onBatchEnd: () => void ends.push(performance.now()) };
  const source = (_: { rng: Rng }) =>
    (function* () {
      for (let s = 0; s < total; s++) {
        yield cloneBatch(w.batches[s % w.batches.length]);
      }
    })();
  const result = await train({
    ...w.options,
    model: w.model,
    train: source,
    epochs: 1,
    seed: 1,
    callbacks: [timer],
  });
  const durations = ends.slice(o.warmup).map((t, i) => t - ends[o.warmup + i - 1]);
  return { ms: median(durations), replay: result.stepReplay };
}

async function dispatchesPerStep(w: Workload): Promise<number> {
  const { census } = await webgpuCensus(tf, () =>
    train({
      ...w.options,
      model: w.model,
      train: () => [cloneBatch(w.batches[0])][Symbol.iterator](),
      epochs: 1,
      seed: 1,
      stepReplay: false,
    }),
  );
  return census.dispatches;
}

/**
 * One product's cost two ways: wall-clock ms per product with `reps` queued back to back and one small
 * read at the end (host-side cost included: for small products that is the host's pace), and GPU
 * kernel ms from timestamp queries (tfjs's own kernels through tf.time, attnzoo's through one timed
 * pass), where the adapter offers them — the figure comparable to torch.matmul under CUDA events.
 */
async function timeProduct(
  a: tf.Tensor,
  b: tf.Tensor,
  s: GemmShapeSpec,
  reps: number,
): Promise<{ wallMs: number; gpuMs?: number }> {
  let last: tf.Tensor | undefined;
  const once = () => {
    last?.dispose();
    last = tf.matMul(a, b, s.transA, s.transB);
  };
  const settle = async () => {
    const t = last as tf.Tensor;
    const probe = tf.slice(t, Array(t.rank).fill(0), Array(t.rank).fill(1));
    await probe.data();
    probe.dispose();
  };
  // Warm-up with as many products as are timed: the first repetitions allocate fresh GPU buffers
  // (outputs, split-K partial sums), which Dawn clears on first use; a training loop reuses them.
  for (let i = 0; i < reps; i++) once();
  await settle();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) once();
  await settle();
  const wallMs = (performance.now() - t0) / reps;
  let gpuMs: number | undefined;
  const supportsTimestamps = (tf.backend() as unknown as { supportTimestampQuery?: boolean })
    .supportTimestampQuery;
  if (supportsTimestamps) {
    // Twice, the first untimed: the timed pass must not be the first to hold `reps` live outputs.
    if (webgpuGemmEnabled()) {
      await timeRawDispatches(tf, once, reps);
      gpuMs = await timeRawDispatches(tf, once, reps);
    } else {
      const timed = () =>
        tf.time(() => {
          for (let i = 0; i < reps; i++) once();
        });
      await timed();
      const info = await timed();
      gpuMs = typeof info.kernelMs === 'number' ? info.kernelMs / reps : undefined;
    }
  }
  last?.dispose();
  return { wallMs, ...(gpuMs !== undefined ? { gpuMs } : {}) };
}

function readShapes(path: string): GemmShapeSpec[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--gemm-shapes ${path}: ${(error as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { shapes?: unknown }).shapes;
  if (!Array.isArray(list))
    throw new UsageError(
      `--gemm-shapes ${path}: expected a JSON list of {name, batch, M, K, N, transA, transB}.`,
    );
  return list.map((e, i) => {
    const r = e as Partial<GemmShapeSpec>;
    for (const k of ['batch', 'M', 'K', 'N'] as const)
      if (!Number.isInteger(r[k]) || (r[k] as number) < 1)
        throw new UsageError(`--gemm-shapes ${path}: entry ${i} needs a positive integer ${k}.`);
    return {
      name: String(r.name ?? `gemm${i}`),
      batch: r.batch as number,
      M: r.M as number,
      K: r.K as number,
      N: r.N as number,
      transA: Boolean(r.transA),
      transB: Boolean(r.transB),
    };
  });
}

async function gemmRows(o: BenchVsPytorchOptions, engines: ('on' | 'off')[]): Promise<GemmRow[]> {
  if (!o.gemmShapes) return [];
  const rows: GemmRow[] = [];
  const env = process.env;
  const shapes = readShapes(o.gemmShapes);
  // The GPU leaves its idle clocks only under load: the first timed product ran 5× slow without this.
  {
    const s = shapes[0];
    const a = tf.randomNormal(s.transA ? [s.batch, s.K, s.M] : [s.batch, s.M, s.K]);
    const b = tf.randomNormal(s.transB ? [s.batch, s.N, s.K] : [s.batch, s.K, s.N]);
    const t0 = performance.now();
    while (performance.now() - t0 < 1000) await timeProduct(a, b, s, 20);
    tf.dispose([a, b]);
  }
  for (const s of shapes) {
    const a = tf.randomNormal(s.transA ? [s.batch, s.K, s.M] : [s.batch, s.M, s.K], 0, 1, 'float32', 1);
    const b = tf.randomNormal(s.transB ? [s.batch, s.N, s.K] : [s.batch, s.K, s.N], 0, 1, 'float32', 2);
    const flops = 2 * s.batch * s.M * s.K * s.N;
    const reps = Math.max(10, Math.min(100, Math.round(5e11 / flops)));
    const add = (
      engine: 'on' | 'off',
      t: { wallMs: number; gpuMs?: number },
      tile?: string,
      splits?: number,
      sweep = false,
    ) => {
      const ms = t.gpuMs ?? t.wallMs;
      rows.push({
        ...s,
        engine,
        ms,
        tflops: flops / ms / 1e9,
        wallMs: t.wallMs,
        timing: t.gpuMs !== undefined ? 'gpu-timestamps' : 'wall-clock',
        ...(tile ? { tile, splits } : {}),
        ...(sweep ? { sweep } : {}),
      });
      console.error(
        `  ${s.name} ${s.batch}×${s.M}×${s.K}×${s.N}${s.transA ? ' Aᵀ' : ''}${s.transB ? ' Bᵀ' : ''} ${engine}${tile ? ` ${tile}/${splits}` : ''}: ${ms.toFixed(3)} ms (wall ${t.wallMs.toFixed(3)}), ${(flops / ms / 1e9).toFixed(1)} TFLOP/s`,
      );
    };
    for (const engine of engines) {
      setWebGPUGemm(engine === 'on');
      const t = await timeProduct(a, b, s, reps);
      const plan = engine === 'on' ? planGemm({ batch: s.batch, M: s.M, N: s.N, K: s.K }) : undefined;
      add(engine, t, plan?.tile, plan?.splits);
    }
    if (o.gemmSweep) {
      setWebGPUGemm(true);
      for (const tile of Object.keys(GEMM_TILES)) {
        const base = planGemm({ batch: s.batch, M: s.M, N: s.N, K: s.K }, { tile });
        const splitCounts = [
          ...new Set([base.splits, 1, 4, 16, 32].filter((k) => k * 256 <= s.K || k === 1)),
        ];
        for (const splits of splitCounts) {
          env.ATTNZOO_WEBGPU_GEMM_TILE = tile;
          env.ATTNZOO_WEBGPU_GEMM_SPLITS = String(splits);
          try {
            add('on', await timeProduct(a, b, s, reps), tile, splits, true);
          } finally {
            delete env.ATTNZOO_WEBGPU_GEMM_TILE;
            delete env.ATTNZOO_WEBGPU_GEMM_SPLITS;
          }
        }
      }
    }
    tf.dispose([a, b]);
  }
  return rows;
}

/** `attnzoo bench vs-pytorch`: writes tfjs.json (and a short markdown) for vs-pytorch-merge.py. */
export async function benchVsPytorch(o: BenchVsPytorchOptions): Promise<void> {
  const choice = await chooseBackend(o.backend, o.webgpuAdapter);
  const environment = measurementEnvironment(choice);
  const webgpu = choice.backend === 'webgpu';
  const engines: ('on' | 'off')[] = !webgpu ? ['on'] : o.engine === 'both' ? ['on', 'off'] : [o.engine];
  const wasOn = webgpuGemmEnabled();
  // Steps: attnzoo's products with step replay ('on') and op by op ('eager'); tfjs's products ('off').
  const stepEngines: StepRow['engine'][] = engines.flatMap((e) =>
    e === 'on' && webgpu ? ['on', 'eager'] : [e],
  );
  const steps: StepRow[] = [];
  const command = `attnzoo bench vs-pytorch --backend ${choice.backend} --batch ${o.batch} --steps ${o.steps} --warmup ${o.warmup} --models ${o.models.join(',')} --variants ${o.variants.join(',')} --engine ${o.engine}${o.gemmShapes ? ` --gemm-shapes ${o.gemmShapes}` : ''}${o.gemmSweep ? ' --gemm-sweep' : ''}`;
  let gemm: GemmRow[] = [];
  // Written after every row: a run stopped at a time limit keeps what it measured.
  const save = () => {
    const lines = [
      `# attnzoo training steps and products (${environment.adapter ?? choice.backend})`,
      '',
      `\`${command}\``,
      '',
      '| model | variant | length | engine | ms/step | dispatches | replayed |',
      '|---|---|---|---|---|---|---|',
      ...steps.map(
        (r) =>
          `| ${r.model} | ${r.variant} | ${r.length ?? ''} | ${r.engine} | ${r.ms.toFixed(1)} | ${r.dispatches ?? ''} | ${r.replayed ?? ''} |`,
      ),
    ];
    return writeReport(o.out, 'tfjs', { command, environment, steps, gemm }, lines.join('\n'));
  };
  try {
    gemm = await gemmRows(o, engines);
    await save();
    for (const name of o.models) {
      for (const variant of o.variants) {
        for (const w of workloads(name, variant, o)) {
          for (const engine of stepEngines) {
            if (webgpu) setWebGPUGemm(engine !== 'off');
            setStepReplay(engine === 'on');
            const { ms, replay } = await timeSteps(w, o);
            const dispatches = webgpu && engine !== 'eager' ? await dispatchesPerStep(w) : undefined;
            const row: StepRow = {
              model: name,
              variant,
              batch: o.batch,
              ...(w.length ? { length: w.length } : {}),
              engine,
              ms,
              ...(dispatches ? { dispatches } : {}),
              ...(replay ? { replayed: replay.replayed, replayFallbacks: replay.fallbacks } : {}),
              parameters: w.model.countParams(),
            };
            steps.push(row);
            await save();
            console.error(
              `  ${name}-${variant}${w.length ? ` L=${w.length}` : ''} engine ${engine}: ${ms.toFixed(1)} ms/step${dispatches ? `, ${dispatches} dispatches` : ''}${replay ? `, ${replay.replayed} replayed${replay.fallbacks.length ? ` (${replay.fallbacks.join('; ')})` : ''}` : ''}`,
            );
          }
          w.model.dispose();
          for (const b of w.batches)
            tf.dispose([...(Array.isArray(b.xs) ? b.xs : [b.xs as tf.Tensor]), b.ys]);
        }
      }
    }
  } finally {
    if (webgpu) setWebGPUGemm(wasOn);
    setStepReplay(true);
  }
}

export function parseModels(value: string | boolean | undefined): VsPytorchModel[] {
  const items = String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const m of items)
    if (!(VS_PYTORCH_MODELS as readonly string[]).includes(m))
      throw new UsageError(`--models: "${m}" is not one of ${VS_PYTORCH_MODELS.join(', ')}.`);
  return items as VsPytorchModel[];
}
