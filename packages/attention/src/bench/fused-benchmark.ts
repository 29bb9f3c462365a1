import { deviceCaps, type WebGPUBackendInternals } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';
import {
  fusedAttentionAvailable,
  setFusedAttentionEnabled,
  setFusedAttentionSubgroups,
} from '../fused/fused-attention';
import { type HeadsCase, referenceHeads } from '../fused/reference-heads';
import { type FusedTiles, LARGE_TILES, planTiles, SMALL_TILES, setFusedAttentionTiles } from '../fused/tiles';
import { attentionHeads } from '../scaled-dot-product';

export type FusedBenchmarkPath = 'fused' | 'fused-no-subgroups' | 'unfused';

export interface FusedBenchmarkOptions {
  batch?: number;
  heads?: number;
  headDim?: number;
  lengths?: number[];
  /** Which mask settings to time; the issue's table is non-causal. */
  causal?: boolean[];
  paths?: FusedBenchmarkPath[];
  /** Tile set for the fused kernels: automatic (default), or forced. */
  tiles?: 'auto' | 'large' | 'small';
  warmup?: number;
  /** Timed samples per case; the median is reported. */
  repeats?: number;
  /** Each sample runs the op back to back until at least this long, then syncs once. */
  minSampleMs?: number;
  /** Correctness check on this device before timing (fused vs unfused vs float64). */
  check?: boolean;
  onRow?: (row: FusedBenchmarkRow) => void;
  onCheck?: (row: FusedCheckRow) => void;
}

export interface FusedBenchmarkRow {
  path: FusedBenchmarkPath;
  batch: number;
  heads: number;
  length: number;
  headDim: number;
  causal: boolean;
  /** 4·B·h·L²·dk (halved when causal). */
  forwardFlops: number;
  forwardMs: number | null;
  /** Forward plus the gradients of q, k, v for a given output gradient. */
  forwardBackwardMs: number | null;
  forwardTflops: number | null;
  /** Counted as 3.5 × the forward FLOPs (FlashAttention's convention: backward = 2.5 × forward). */
  forwardBackwardTflops: number | null;
  /** tf.profile peak of live tensor bytes during one forward+backward (logical, not the pool). */
  peakBytes: number | null;
  /** Why a cell is empty: out of memory, over the device's buffer size limit, a GPU error. */
  error?: string;
}

export interface FusedCheckRow {
  case: string;
  subgroups: boolean;
  /** max |fused − float64 reference| of the output. */
  forwardVsReference: number;
  forwardVsUnfused: number;
  /** max over dq, dk, dv of |fused − unfused|. */
  gradientsVsUnfused: number;
  ok: boolean;
  error?: string;
}

export interface FusedBenchmarkReport {
  backend: string;
  adapter: {
    features: string[];
    workgroupStorage: number;
    subgroupMinSize: number;
    tilesUsed: FusedTiles;
    subgroups: boolean;
  };
  checks: FusedCheckRow[];
  /** Set when the subgroup kernel failed the on-device check and was left out of the timings. */
  subgroupsDropped?: string;
  rows: FusedBenchmarkRow[];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Waits for the GPU by reading one element of each tensor (reading whole outputs would dominate). */
async function sync(ts: tf.Tensor[]): Promise<void> {
  for (const t of ts) {
    const one = tf.slice(tf.reshape(t, [-1]), [0], [1]);
    await one.data();
    one.dispose();
  }
}

async function timeOp(run: () => tf.Tensor[], warmup: number, repeats: number, minSampleMs: number) {
  let iters = 1;
  for (let i = 0; i < warmup; i++) {
    const start = performance.now();
    const out = run();
    await sync(out);
    tf.dispose(out);
    const ms = performance.now() - start;
    iters = Math.max(1, Math.min(200, Math.ceil(minSampleMs / Math.max(ms, 1e-3))));
  }
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    let last: tf.Tensor[] = [];
    for (let i = 0; i < iters; i++) {
      tf.dispose(last);
      last = run();
    }
    await sync(last);
    samples.push((performance.now() - start) / iters);
    tf.dispose(last);
  }
  return median(samples);
}

function backendInternals(): WebGPUBackendInternals {
  return tf.backend() as unknown as WebGPUBackendInternals;
}

/** Runs fn with GPU error scopes so an out-of-memory or an oversize buffer becomes an error. */
async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  const device = backendInternals().device;
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T | undefined;
  let thrown: unknown;
  try {
    result = await fn();
  } catch (e) {
    thrown = e;
  }
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  if (thrown) throw thrown;
  if (oom) throw new Error(`out of memory: ${oom.message}`);
  if (validation) throw new Error(`GPU validation error: ${validation.message.split('\n')[0]}`);
  return result as T;
}

function withPath<T>(path: FusedBenchmarkPath, fn: () => T): T {
  setFusedAttentionEnabled(path !== 'unfused');
  setFusedAttentionSubgroups(path !== 'fused-no-subgroups');
  try {
    return fn();
  } finally {
    setFusedAttentionEnabled(true);
    setFusedAttentionSubgroups(true);
  }
}

function seeded(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Fused vs unfused vs float64 on small odd shapes, on the device being benchmarked. */
export async function checkFusedAttention(subgroupsToo = true): Promise<FusedCheckRow[]> {
  const cases: HeadsCase[] = [32, 64, 128].flatMap((D) => [
    { B: 2, H: 2, L: 37, S: 37, D, mask: true, causal: false },
    { B: 2, H: 2, L: 37, S: 37, D, mask: false, causal: true },
    { B: 1, H: 2, L: 300, S: 300, D, mask: true, causal: true },
  ]);
  cases.push({ B: 2, H: 1, L: 5, S: 70, D: 64, mask: true, causal: true });
  const rows: FusedCheckRow[] = [];
  const modes = subgroupsToo ? [true, false] : [false];
  for (const c of cases) {
    const q = seeded(c.B * c.H * c.L * c.D, 1);
    const k = seeded(c.B * c.H * c.S * c.D, 2);
    const v = seeded(c.B * c.H * c.S * c.D, 3);
    const m = c.mask
      ? Array.from({ length: c.B * c.S }, (_, i) => (i < c.S && i >= c.S - 5 ? 0 : 1))
      : undefined;
    const reference = referenceHeads(q, k, v, m, c);
    const qt = tf.tensor4d(q, [c.B, c.H, c.L, c.D]);
    const kt = tf.tensor4d(k, [c.B, c.H, c.S, c.D]);
    const vt = tf.tensor4d(v, [c.B, c.H, c.S, c.D]);
    const mt = m ? tf.tensor2d(m, [c.B, c.S]) : undefined;
    const dy = tf.tensor4d(seeded(c.B * c.H * c.L * c.D, 4), [c.B, c.H, c.L, c.D]);
    const run = async (path: FusedBenchmarkPath) => {
      const [out, grads] = withPath(path, () => {
        const f = (a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) =>
          attentionHeads(a as tf.Tensor4D, b as tf.Tensor4D, d as tf.Tensor4D, {
            keyPaddingMask: mt,
            causal: c.causal,
          });
        return [f(qt, kt, vt), tf.grads(f)([qt, kt, vt], dy)] as const;
      });
      const data = [await out.data(), ...(await Promise.all(grads.map((g) => g.data())))];
      tf.dispose([out, ...grads]);
      return data;
    };
    const unfused = await run('unfused');
    for (const subgroups of modes) {
      const name = `B=${c.B} h=${c.H} L=${c.L} S=${c.S} dk=${c.D}${c.mask ? ' padding' : ''}${c.causal ? ' causal' : ''}`;
      let fused: Awaited<ReturnType<typeof run>>;
      try {
        fused = await guarded(() => run(subgroups ? 'fused' : 'fused-no-subgroups'));
      } catch (e) {
        rows.push({
          case: name,
          subgroups,
          forwardVsReference: Number.NaN,
          forwardVsUnfused: Number.NaN,
          gradientsVsUnfused: Number.NaN,
          ok: false,
          error: (e as Error).message,
        });
        continue;
      }
      const diff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
        let d = 0;
        for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
      };
      const row: FusedCheckRow = {
        case: name,
        subgroups,
        forwardVsReference: diff(fused[0], reference),
        forwardVsUnfused: diff(fused[0], unfused[0]),
        gradientsVsUnfused: Math.max(
          diff(fused[1], unfused[1]),
          diff(fused[2], unfused[2]),
          diff(fused[3], unfused[3]),
        ),
        ok: false,
      };
      row.ok = row.forwardVsReference < 1e-4 && row.forwardVsUnfused < 1e-4 && row.gradientsVsUnfused < 1e-3;
      rows.push(row);
    }
    tf.dispose([qt, kt, vt, dy, ...(mt ? [mt] : [])]);
  }
  return rows;
}

/**
 * Times tfjs attention on the current `webgpu` backend at the issue's shapes (batch 32, 8 heads,
 * dk 64, L ∈ {256, 1024, 4096}): the fused kernel (with and without subgroups where offered)
 * against the unfused matmul-softmax-matmul path, forward and forward+backward, as medians
 * after warm-up. The unfused path is skipped where its L × L scores cannot be allocated.
 */
export async function benchmarkFusedAttention(
  options: FusedBenchmarkOptions = {},
): Promise<FusedBenchmarkReport> {
  if (!fusedAttentionAvailable())
    throw new Error(`benchmarkFusedAttention needs the webgpu backend (current: ${tf.getBackend()}).`);
  const B = options.batch ?? 32;
  const H = options.heads ?? 8;
  const D = options.headDim ?? 64;
  const lengths = options.lengths ?? [256, 1024, 4096];
  const causals = options.causal ?? [false];
  const warmup = options.warmup ?? 2;
  const repeats = options.repeats ?? 5;
  const minSampleMs = options.minSampleMs ?? 50;
  const caps = deviceCaps(backendInternals());
  setFusedAttentionTiles(
    options.tiles === 'large' ? LARGE_TILES : options.tiles === 'small' ? SMALL_TILES : undefined,
  );
  try {
    const plan = planTiles(D, caps);
    let paths: FusedBenchmarkPath[] =
      options.paths ?? (plan.subgroups ? ['fused', 'fused-no-subgroups', 'unfused'] : ['fused', 'unfused']);
    const report: FusedBenchmarkReport = {
      backend: tf.getBackend(),
      adapter: {
        features: [...backendInternals().device.features].map(String).sort(),
        workgroupStorage: caps.workgroupStorage,
        subgroupMinSize: caps.subgroupMinSize,
        tilesUsed: plan.tiles,
        subgroups: plan.subgroups,
      },
      checks: [],
      rows: [],
    };
    if (options.check ?? true) {
      report.checks = await checkFusedAttention(plan.subgroups);
      for (const c of report.checks) options.onCheck?.(c);
      const failed = report.checks.filter((c) => c.subgroups && !c.ok);
      if (failed.length > 0) {
        // Time only what computes the right thing; the failure stays in the report.
        report.subgroupsDropped = `${failed.length} subgroup check(s) failed, e.g. ${failed[0].case}${failed[0].error ? `: ${failed[0].error}` : ''}`;
        paths = paths.filter((p) => p !== 'fused');
        if (!paths.includes('fused-no-subgroups')) paths.unshift('fused-no-subgroups');
      }
    }
    const limits = backendInternals().device.limits;
    for (const L of lengths) {
      for (const causal of causals) {
        const q = tf.randomNormal([B, H, L, D], 0, 1, 'float32', 1) as tf.Tensor4D;
        const k = tf.randomNormal([B, H, L, D], 0, 1, 'float32', 2) as tf.Tensor4D;
        const v = tf.randomNormal([B, H, L, D], 0, 1, 'float32', 3) as tf.Tensor4D;
        const dy = tf.randomNormal([B, H, L, D], 0, 1, 'float32', 4) as tf.Tensor4D;
        const flops = (4 * B * H * L * L * D) / (causal ? 2 : 1);
        for (const path of paths) {
          const row: FusedBenchmarkRow = {
            path,
            batch: B,
            heads: H,
            length: L,
            headDim: D,
            causal,
            forwardFlops: flops,
            forwardMs: null,
            forwardBackwardMs: null,
            forwardTflops: null,
            forwardBackwardTflops: null,
            peakBytes: null,
          };
          const scoreBytes = B * H * L * L * 4;
          if (
            path === 'unfused' &&
            (scoreBytes > limits.maxBufferSize || scoreBytes > limits.maxStorageBufferBindingSize)
          ) {
            row.error = `scores tensor of ${(scoreBytes / 2 ** 30).toFixed(1)} GiB exceeds the device's buffer limits (maxBufferSize ${(limits.maxBufferSize / 2 ** 30).toFixed(1)} GiB, maxStorageBufferBindingSize ${(limits.maxStorageBufferBindingSize / 2 ** 30).toFixed(1)} GiB)`;
          } else {
            const forward = () => withPath(path, () => [attentionHeads(q, k, v, { causal })]);
            const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
              attentionHeads(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, { causal });
            const both = () => withPath(path, () => tf.grads(f)([q, k, v], dy));
            try {
              row.forwardMs = await guarded(() => timeOp(forward, warmup, repeats, minSampleMs));
              row.forwardBackwardMs = await guarded(() => timeOp(both, warmup, repeats, minSampleMs));
              row.forwardTflops = flops / (row.forwardMs * 1e-3) / 1e12;
              row.forwardBackwardTflops = (3.5 * flops) / (row.forwardBackwardMs * 1e-3) / 1e12;
              const profile = await guarded(() =>
                tf.profile(async () => {
                  const g = both();
                  await sync(g);
                  tf.dispose(g);
                }),
              );
              row.peakBytes = profile.peakBytes;
            } catch (e) {
              row.error = (e as Error).message;
            }
          }
          report.rows.push(row);
          options.onRow?.(row);
        }
        tf.dispose([q, k, v, dy]);
      }
    }
    return report;
  } finally {
    setFusedAttentionTiles(undefined);
  }
}

/** The report as a markdown table (what the device script writes next to PyTorch's numbers). */
export function fusedBenchmarkMarkdown(report: FusedBenchmarkReport): string {
  const f = (x: number | null, digits = 2) => (x == null ? '—' : x.toFixed(digits));
  const lines = [
    '| path | L | causal | fwd ms | fwd TFLOP/s | fwd+bwd ms | fwd+bwd TFLOP/s | peak MiB | note |',
    '|---|---|---|---|---|---|---|---|---|',
    ...report.rows.map(
      (r) =>
        `| tfjs ${r.path} | ${r.length} | ${r.causal ? 'yes' : 'no'} | ${f(r.forwardMs)} | ${f(r.forwardTflops)} | ${f(r.forwardBackwardMs)} | ${f(r.forwardBackwardTflops)} | ${r.peakBytes == null ? '—' : (r.peakBytes / 2 ** 20).toFixed(0)} | ${r.error ?? ''} |`,
    ),
  ];
  return lines.join('\n');
}
