import { type EncodedPairs, fitTranslator, pairBatches, type Translator } from '@attnzoo/seq2seq-translator';
import { type Batch, Rng, stepTimer, usedLengths } from '@attnzoo/train';
import * as tf from '@tensorflow/tfjs-core';

export interface BatchLayoutRow {
  layout: 'padded to the maximum lengths' | 'bucketed by length, cut to the longest pair';
  /** Batch widths are rounded up to a multiple of this (the maximum length pads every batch fully). */
  widthMultiple: number;
  msPerStep: number;
  pairsPerSecond: number;
  /** Real (non-pad) source + target positions over all positions the steps computed. */
  realTokenFraction: number;
  /** Steps/s over the padded layout's, from the same process (higher is faster). */
  speedupOverPadded: number;
}

/** Source + target positions the batches of one epoch compute (drawn with their own RNG). */
async function positionsPerEpoch(e: EncodedPairs, padId: number, batchSize: number, widthMultiple: number) {
  const source = pairBatches(e, padId, { batchSize, shuffle: true, widthMultiple });
  let total = 0;
  for await (const b of source({ epoch: 0, rng: new Rng(1) }) as Iterable<Batch>) {
    const [src, dec] = b.xs as tf.Tensor[];
    total += src.size + dec.size;
    tf.dispose([src, dec, b.ys]);
  }
  return total;
}

/**
 * Training steps of one translator on the same pairs with two batch layouts, in one process:
 * every batch padded to the maximum lengths (how training ran before bucketing) and length-bucketed
 * batches cut to their longest pair. Both run the same number of steps after the same warm-up; the
 * model trains on through both (the time of a step does not depend on its weights).
 */
export async function benchTrainBatches(
  translator: Translator,
  pairs: EncodedPairs,
  options: { batchSize: number; steps: number; warmup: number; bucketedWidthMultiple?: number },
): Promise<BatchLayoutRow[]> {
  const { batchSize, steps, warmup } = options;
  const needed = (steps + warmup) * batchSize;
  if (pairs.count < needed)
    throw new Error(
      `bench-train needs ${needed} pairs for ${warmup} + ${steps} steps of ${batchSize}; the data has ${pairs.count}.`,
    );
  // Evenly spaced over the split: the Anki file runs from the shortest sentences to the longest.
  const picked = Array.from({ length: needed }, (_, i) => Math.floor((i * pairs.count) / needed));
  const rowsOf = (data: Int32Array, columns: number) => {
    const out = new Int32Array(needed * columns);
    for (const [i, r] of picked.entries())
      out.set(data.subarray(r * columns, (r + 1) * columns), i * columns);
    return out;
  };
  const e: EncodedPairs = {
    ...pairs,
    count: needed,
    source: rowsOf(pairs.source, pairs.sourceLength),
    decoderInput: rowsOf(pairs.decoderInput, pairs.targetLength),
    labels: rowsOf(pairs.labels, pairs.targetLength),
    kept: picked.map((r) => pairs.kept[r]),
  };
  const pad = translator.config.padId;
  const real = [
    { data: e.source, rows: e.count, columns: e.sourceLength },
    { data: e.labels, rows: e.count, columns: e.targetLength },
  ].reduce((n, m) => n + usedLengths(m, pad).reduce((a, b) => a + b, 0), 0);
  const layouts = [
    {
      layout: 'padded to the maximum lengths' as const,
      widthMultiple: Math.max(e.sourceLength, e.targetLength),
    },
    {
      layout: 'bucketed by length, cut to the longest pair' as const,
      widthMultiple: options.bucketedWidthMultiple ?? 1,
    },
  ];
  const rows: BatchLayoutRow[] = [];
  for (const { layout, widthMultiple } of layouts) {
    const timer = stepTimer(warmup);
    await fitTranslator(translator, {
      train: e,
      epochs: 1,
      batchSize,
      bleuSentences: 0,
      widthMultiple,
      seed: 1,
      callbacks: [timer.callback],
    });
    const msPerStep = 1000 * timer.secondsPerStep();
    const computed = await positionsPerEpoch(e, pad, batchSize, widthMultiple);
    rows.push({
      layout,
      widthMultiple,
      msPerStep,
      pairsPerSecond: (1000 * batchSize) / msPerStep,
      realTokenFraction: real / computed,
      speedupOverPadded: rows.length ? rows[0].msPerStep / msPerStep : 1,
    });
  }
  return rows;
}
