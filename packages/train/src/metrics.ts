import * as tf from '@tensorflow/tfjs-core';

export interface MetricContext {
  numClasses: number;
  /** Positions whose label equals it are not counted. */
  ignoreIndex?: number;
}

/**
 * A metric accumulated over the batches of an epoch. `update` gets the model's predictions and the
 * integer labels of one batch; it must neither keep nor dispose them. Task packages add their own
 * (BLEU for the translator) by implementing this interface.
 */
export interface Metric {
  readonly name: string;
  /** Whether a larger value is better (used when monitoring it); default true. */
  readonly higherIsBetter?: boolean;
  reset(): void;
  update(pred: tf.Tensor, labels: tf.Tensor, ctx: MetricContext): void | Promise<void>;
  result(): number;
}

abstract class CountingMetric implements Metric {
  abstract readonly name: string;
  readonly higherIsBetter = true;
  protected hits = 0;
  protected count = 0;
  reset(): void {
    this.hits = 0;
    this.count = 0;
  }
  protected abstract correct(pred: tf.Tensor, labels: tf.Tensor): tf.Tensor;
  async update(pred: tf.Tensor, labels: tf.Tensor, ctx: MetricContext): Promise<void> {
    const counts = tf.tidy(() => {
      const ids = labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32');
      const hit = tf.cast(this.correct(pred, ids), 'float32');
      if (ctx.ignoreIndex === undefined) return tf.stack([tf.sum(hit), tf.scalar(hit.size)]);
      const mask = tf.cast(tf.notEqual(ids, tf.scalar(ctx.ignoreIndex, 'int32')), 'float32');
      return tf.stack([tf.sum(tf.mul(hit, mask)), tf.sum(mask)]);
    });
    const [h, c] = await counts.data();
    counts.dispose();
    this.hits += h;
    this.count += c;
  }
  result(): number {
    return this.count === 0 ? 0 : this.hits / this.count;
  }
}

class Accuracy extends CountingMetric {
  readonly name = 'accuracy';
  protected correct(pred: tf.Tensor, labels: tf.Tensor): tf.Tensor {
    return tf.equal(tf.cast(tf.argMax(pred, -1), 'int32'), labels);
  }
}

class TopKAccuracy extends CountingMetric {
  readonly name: string;
  constructor(readonly k: number) {
    super();
    if (!Number.isInteger(k) || k < 1) throw new Error(`top-k accuracy needs an integer k >= 1, got ${k}`);
    this.name = `top${k}_accuracy`;
  }
  protected correct(pred: tf.Tensor, labels: tf.Tensor): tf.Tensor {
    const k = Math.min(this.k, pred.shape[pred.shape.length - 1]);
    const { indices } = tf.topk(pred, k);
    return tf.any(tf.equal(indices, tf.expandDims(labels, -1)), -1);
  }
}

/** Fraction of (non-ignored) positions whose arg-max prediction equals the label. */
export function accuracy(): Metric {
  return new Accuracy();
}

/** Fraction of (non-ignored) positions whose label is among the k highest predictions. */
export function topKAccuracy(k: number): Metric {
  return new TopKAccuracy(k);
}
