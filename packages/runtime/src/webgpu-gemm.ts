import type * as tfCore from '@tensorflow/tfjs-core';
import { dispatchRaw, type WebGPUBackendInternals, workgroupGrid } from './webgpu-dispatch';
import {
  GEMM_ACTIVATIONS,
  GEMM_UNIFORM_WORDS,
  type GemmActivation,
  type GemmTile,
  gemmShader,
  gemmSplitReduceShader,
  tileCols,
  tileRows,
} from './webgpu-gemm-shader';

type TensorInfo = tfCore.TensorInfo;

/** The tiles the planner chooses from, largest first (names are what ATTNZOO_WEBGPU_GEMM_TILE takes). */
export const GEMM_TILES: Record<string, GemmTile> = {
  '128x128': { wx: 16, wy: 16, tm: 8, tn: 8, bk: 8 },
  '128x64': { wx: 16, wy: 16, tm: 8, tn: 4, bk: 8 },
  '64x128': { wx: 16, wy: 16, tm: 4, tn: 8, bk: 8 },
  '128x128k16': { wx: 16, wy: 16, tm: 8, tn: 8, bk: 16 },
  '64x64': { wx: 16, wy: 16, tm: 4, tn: 4, bk: 16 },
  '32x32': { wx: 8, wy: 8, tm: 4, tn: 4, bk: 8 },
  // Narrow outputs (N = 16), for sweeps: not planned yet (an A/B on the H200 was inconclusive,
  // bench-results/h200-2026-12-03/gemm-plan-ab).
  '128x16': { wx: 4, wy: 32, tm: 4, tn: 4, bk: 8 },
  '64x16': { wx: 4, wy: 16, tm: 4, tn: 4, bk: 8 },
};

export interface GemmPlan {
  tile: string;
  splits: number;
  /** K per split, a multiple of the tile's depth. */
  kChunk: number;
  workgroups: number;
}

export interface GemmShape {
  batch: number;
  M: number;
  N: number;
  K: number;
}

/** Workgroups that keep an H100/H200 (132 SMs, two 256-thread workgroups each) busy. */
const TARGET_WORKGROUPS = 264;

function tilesOf(s: GemmShape, t: GemmTile): number {
  return s.batch * Math.ceil(s.M / tileRows(t)) * Math.ceil(s.N / tileCols(t));
}

/** Share of a tile grid's outputs that are real (not padding past M or N). */
function fill(s: GemmShape, t: GemmTile): number {
  const bm = tileRows(t);
  const bn = tileCols(t);
  return (s.M * s.N) / (Math.ceil(s.M / bm) * bm * Math.ceil(s.N / bn) * bn);
}

/** Tiles the planner chooses from, largest first; the others stay for sweeps. */
const PLANNED_TILES = ['128x128k16', '128x64', '64x64', '32x32'];

/**
 * Tile and split for one product, from a sweep of every tile and split count at the zoo's shapes
 * on an H200 (bench-results/vs-pytorch): the largest tile with little padding that, splitting K
 * when K is long, gives two waves of workgroups; where every tile pads heavily (the attention
 * products' 65 × 65), the one that pads least.
 */
export function planGemm(s: GemmShape, force: { tile?: string; splits?: number } = {}): GemmPlan {
  if (force.tile && !GEMM_TILES[force.tile])
    throw new Error(`Unknown GEMM tile "${force.tile}": use one of ${Object.keys(GEMM_TILES).join(', ')}.`);
  const splitsFor = (t: GemmTile, tiles: number) => {
    if (force.splits !== undefined) return force.splits;
    if (tiles >= 2 * TARGET_WORKGROUPS) return 1;
    // Each slice keeps at least 32 tile depths of K, so the partial sums stay a small extra pass.
    const byDepth = Math.floor(s.K / (t.bk * 32));
    return Math.max(1, Math.min(Math.ceil((2 * TARGET_WORKGROUPS) / tiles), byDepth, 64));
  };
  const make = (name: string): GemmPlan => {
    const tile = GEMM_TILES[name];
    const tiles = tilesOf(s, tile);
    let splits = splitsFor(tile, tiles);
    const kChunk = Math.ceil(Math.ceil(s.K / splits) / tile.bk) * tile.bk;
    splits = Math.max(1, Math.ceil(s.K / kChunk));
    return { tile: name, splits, kChunk, workgroups: tiles * splits };
  };
  if (force.tile) return make(force.tile);
  for (const name of PLANNED_TILES) {
    if (fill(s, GEMM_TILES[name]) < 0.85) continue;
    const plan = make(name);
    if (plan.workgroups >= TARGET_WORKGROUPS) return plan;
  }
  const leastPadding = [...PLANNED_TILES].sort((a, b) => fill(s, GEMM_TILES[b]) - fill(s, GEMM_TILES[a]))[0];
  return make(leastPadding);
}

// On unless ATTNZOO_WEBGPU_GEMM=0: the switch that compares against tfjs's kernels.
let enabled = typeof process === 'undefined' || process.env.ATTNZOO_WEBGPU_GEMM !== '0';

/** Turns attnzoo's WebGPU products on or off (tfjs's own kernels run when off). */
export function setWebGPUGemm(on: boolean): void {
  enabled = on;
}

export function webgpuGemmEnabled(): boolean {
  return enabled;
}

// ATTNZOO_WEBGPU_GEMM_VEC4=0 reads scalars everywhere (for measuring what vec4 reads give).
const vectorReads = typeof process === 'undefined' || process.env.ATTNZOO_WEBGPU_GEMM_VEC4 !== '0';

function envForce(): { tile?: string; splits?: number } {
  const env = typeof process !== 'undefined' ? process.env : {};
  const tile = env.ATTNZOO_WEBGPU_GEMM_TILE || undefined;
  const splits = env.ATTNZOO_WEBGPU_GEMM_SPLITS ? Number(env.ATTNZOO_WEBGPU_GEMM_SPLITS) : undefined;
  if (splits !== undefined && !(Number.isInteger(splits) && splits >= 1))
    throw new Error(
      `ATTNZOO_WEBGPU_GEMM_SPLITS must be a positive integer, got ${env.ATTNZOO_WEBGPU_GEMM_SPLITS}`,
    );
  return { tile, splits };
}

// Shader text per variant, built once: a step runs a few hundred products and the WGSL is ~10 KB.
const shaderCache = new Map<string, string>();
function cachedShader(key: string, make: () => string): string {
  let code = shaderCache.get(key);
  if (code === undefined) {
    code = make();
    shaderCache.set(key, code);
  }
  return code;
}

interface GemmCall {
  a: TensorInfo;
  b: TensorInfo;
  transposeA: boolean;
  transposeB: boolean;
  bias?: TensorInfo;
  activation: GemmActivation;
}

/**
 * Runs the product, or returns undefined where the stock kernel must (int32, empty, mixed batch
 * broadcasting, an unsupported bias or activation, a grid past the device's limit).
 */
function runGemm(tf: typeof tfCore, backend: WebGPUBackendInternals, c: GemmCall): TensorInfo | undefined {
  const { a, b, transposeA, transposeB, bias, activation } = c;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return undefined;
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== kB || M === 0 || N === 0 || K === 0) return undefined;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return undefined;
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const batch = Math.max(batchA, batchB);
  if (tf.util.sizeFromShape(outer) !== batch) return undefined;
  if (
    bias &&
    (bias.dtype !== 'float32' ||
      tf.util.sizeFromShape(bias.shape) !== N ||
      bias.shape[bias.shape.length - 1] !== N)
  )
    return undefined;
  const plan = planGemm({ batch, M, N, K }, envForce());
  const tile = GEMM_TILES[plan.tile];
  const gridX = Math.ceil(N / tileCols(tile));
  const gridY = Math.ceil(M / tileRows(tile));
  const gridZ = batch * plan.splits;
  const maxDim = backend.device.limits.maxComputeWorkgroupsPerDimension;
  if (gridX > maxDim || gridY > maxDim || gridZ > maxDim) return undefined;
  const maxBinding = backend.device.limits.maxStorageBufferBindingSize;
  if (plan.splits * batch * M * N * 4 > maxBinding) return undefined;

  const out = backend.makeTensorInfo([...outer, M, N], 'float32');
  const split = plan.splits > 1;
  const params = new Uint32Array(GEMM_UNIFORM_WORDS);
  params.set([M, N, K, plan.kChunk, batchA === 1 ? 0 : M * K, batchB === 1 ? 0 : K * N, batch, plan.splits]);
  const options = {
    tile,
    transposeA,
    transposeB,
    // vec4 reads along the contiguous axis: K for A (M when transposed), N for B (K when transposed);
    // batch strides and split starts stay multiples of 4 then.
    vecA: vectorReads && (transposeA ? M : K) % 4 === 0,
    vecB: vectorReads && (transposeB ? K : N) % 4 === 0,
    split,
    bias: !split && !!bias,
    activation: split ? 'linear' : activation,
  };
  const partial = split ? backend.makeTensorInfo([plan.splits * batch * M * N], 'float32') : out;
  dispatchRaw(backend, {
    label: `AttnzooGemm${plan.tile}`,
    code: cachedShader(JSON.stringify(options), () => gemmShader(options)),
    buffers: !split && bias ? [partial, a, b, bias] : [partial, a, b],
    uniforms: params.buffer,
    workgroups: [gridX, gridY, gridZ],
    submit: false,
  });
  if (split) {
    const total = batch * M * N;
    dispatchRaw(backend, {
      label: 'AttnzooGemmSplitReduce',
      code: cachedShader(`reduce ${!!bias} ${activation}`, () => gemmSplitReduceShader(!!bias, activation)),
      buffers: bias ? [out, partial, bias] : [out, partial],
      uniforms: new Uint32Array([total, N, plan.splits, 0]).buffer,
      workgroups: workgroupGrid(Math.ceil(total / 256)),
      submit: false,
    });
    backend.disposeData(partial.dataId);
  }
  return out;
}

/**
 * Serves tfjs-backend-webgpu 4.22's BatchMatMul and _FusedMatMul (bias and the elementwise
 * activations) with attnzoo's tiled kernels; every other case, and everything while
 * `setWebGPUGemm(false)`, goes to the stock kernels.
 */
export function patchWebGPUGemm(tf: typeof tfCore): void {
  for (const kernelName of ['BatchMatMul', '_FusedMatMul']) {
    const stock = tf.getKernel(kernelName, 'webgpu');
    if (!stock || (stock as { attnzooPatched?: boolean }).attnzooPatched) continue;
    const kernelFunc: tfCore.KernelFunc = (args) => {
      if (!enabled) return stock.kernelFunc(args);
      const inputs = args.inputs as Record<string, TensorInfo | undefined>;
      const attrs = args.attrs as {
        transposeA: boolean;
        transposeB: boolean;
        activation?: string;
        leakyreluAlpha?: number;
      };
      const activation = (attrs.activation ?? 'linear') as GemmActivation;
      if (!GEMM_ACTIVATIONS.includes(activation) || inputs.preluActivationWeights)
        return stock.kernelFunc(args);
      const out = runGemm(tf, args.backend as WebGPUBackendInternals, {
        a: inputs.a as TensorInfo,
        b: inputs.b as TensorInfo,
        transposeA: attrs.transposeA,
        transposeB: attrs.transposeB,
        bias: inputs.bias ?? undefined,
        activation,
      });
      return out ?? stock.kernelFunc(args);
    };
    tf.unregisterKernel(kernelName, 'webgpu');
    tf.registerKernel({ ...stock, kernelFunc });
    (tf.getKernel(kernelName, 'webgpu') as { attnzooPatched?: boolean }).attnzooPatched = true;
  }
}
