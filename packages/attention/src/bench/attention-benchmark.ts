import * as tf from '@tensorflow/tfjs-core';
import { attentionCost } from '../cost';
import { MultiHeadAttention } from '../multi-head-attention';
import { ATTENTION_VARIANTS, type AttentionVariant } from '../variants';

export interface AttentionBenchmarkOptions {
  batch?: number;
  lengths?: number[];
  widths?: number[];
  /** Head count per width; defaults to width / 16 (dk = 16), at least 1. */
  headsFor?: (width: number) => number;
  variants?: readonly AttentionVariant[];
  warmup?: number;
  repeats?: number;
  /** Called after each measured case, for progress output. */
  onCase?: (row: AttentionBenchmarkRow) => void;
}

export interface AttentionBenchmarkRow {
  variant: AttentionVariant;
  batch: number;
  length: number;
  width: number;
  heads: number;
  parameters: number;
  /** Multiply-adds of one forward pass over the whole batch. */
  multiplyAdds: number;
  forwardMs: number;
  forwardBackwardMs: number;
  /** This row's time divided by SDPA's at the same shape, measured in the same process. */
  forwardRatioToSdpa: number;
  forwardBackwardRatioToSdpa: number;
  /** Achieved GFLOP/s of the forward pass (2 FLOPs per multiply-add). */
  forwardGflops: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Times fn() (which returns a tensor) including the device sync, as a median of repeats after warm-up. */
async function time(fn: () => tf.Tensor, warmup: number, repeats: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + repeats; i++) {
    const start = performance.now();
    const out = fn();
    await out.data(); // waits for the backend (GPU queues included)
    const elapsed = performance.now() - start;
    out.dispose();
    if (i >= warmup) samples.push(elapsed);
  }
  return median(samples);
}

/**
 * Forward and forward+backward time of one self-attention layer per variant and shape, on the
 * current tfjs backend. Ratios are against SDPA measured in the same run.
 */
export async function benchmarkAttention(
  options: AttentionBenchmarkOptions = {},
): Promise<AttentionBenchmarkRow[]> {
  const batch = options.batch ?? 32;
  const lengths = options.lengths ?? [64, 256];
  const widths = options.widths ?? [64, 256];
  const variants = options.variants ?? ATTENTION_VARIANTS;
  const warmup = options.warmup ?? 2;
  const repeats = options.repeats ?? 5;
  const headsFor = options.headsFor ?? ((w: number) => Math.max(1, Math.floor(w / 16)));
  const rows: AttentionBenchmarkRow[] = [];
  for (const width of widths) {
    for (const length of lengths) {
      const heads = headsFor(width);
      const x = tf.randomNormal([batch, length, width], 0, 1, 'float32', 1) as tf.Tensor3D;
      const shapeRows: AttentionBenchmarkRow[] = [];
      for (const variant of variants) {
        const layer = new MultiHeadAttention({ variant, numHeads: heads, maxLength: length, seed: 1 });
        layer.apply(x); // build
        const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
        const forwardMs = await time(() => layer.apply(x) as tf.Tensor, warmup, repeats);
        const forwardBackwardMs = await time(
          () =>
            tf.tidy(() => {
              const { value, grads } = tf.variableGrads(
                () => tf.mean(layer.apply(x) as tf.Tensor) as tf.Scalar,
                variables,
              );
              // One scalar that depends on every gradient, so the whole backward pass must run.
              // (Pairwise adds: tfjs's AddN kernel fails to compile on WebGPU under Dawn.)
              return Object.values(grads).reduce<tf.Tensor>((sum, g) => tf.add(sum, tf.sum(g)), value);
            }),
          warmup,
          repeats,
        );
        const cost = attentionCost(layer.costShape(length, length));
        const row: AttentionBenchmarkRow = {
          variant,
          batch,
          length,
          width,
          heads,
          parameters: cost.parameters,
          multiplyAdds: cost.multiplyAdds.total * batch,
          forwardMs,
          forwardBackwardMs,
          forwardRatioToSdpa: Number.NaN,
          forwardBackwardRatioToSdpa: Number.NaN,
          forwardGflops: (2 * cost.multiplyAdds.total * batch) / (forwardMs * 1e6),
        };
        layer.dispose();
        shapeRows.push(row);
      }
      const sdpa = shapeRows.find((r) => r.variant === 'sdpa');
      for (const row of shapeRows) {
        if (sdpa) {
          row.forwardRatioToSdpa = row.forwardMs / sdpa.forwardMs;
          row.forwardBackwardRatioToSdpa = row.forwardBackwardMs / sdpa.forwardBackwardMs;
        }
        rows.push(row);
        options.onCase?.(row);
      }
      x.dispose();
    }
  }
  return rows;
}
