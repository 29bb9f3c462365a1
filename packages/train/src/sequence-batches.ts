import * as tf from '@tensorflow/tfjs-core';
import type { Batch, BatchSource } from './data';

/** A row-major [rows, columns] matrix of token ids, each row padded at its end with `padId`. */
export interface PaddedIds {
  data: Int32Array;
  rows: number;
  columns: number;
}

export interface SequenceBatchesOptions {
  batchSize: number;
  padId: number;
  /**
   * Batches per bucket (default 32): each epoch's shuffled rows are sorted by length in windows
   * of this many batches, so a batch holds rows of similar length. 1 = no bucketing (shuffled rows,
   * each batch still cut to its own longest row).
   */
  bucketBatches?: number;
  /**
   * Reshuffle rows and batches every epoch with the trainer's RNG (default true). With false the
   * rows keep their order within each window's sort by length and batches run in order.
   */
  shuffle?: boolean;
  /**
   * Index of the input whose width the labels share (e.g. a decoder input for per-position
   * labels): the batch keeps the longer of the two in both. Without it labels are cut on their own.
   */
  labelsLike?: number;
  /**
   * Round every cut width up to a multiple of this (default 1, capped at the matrix's columns).
   * On WebGPU each new shape compiles new shaders: a multiple of 8 keeps 32-token rows to 4 widths.
   */
  widthMultiple?: number;
}

/** Each row's used length: the ids up to and including its last non-pad id. */
export function usedLengths(m: PaddedIds, padId: number): Int32Array {
  const lengths = new Int32Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    let n = m.columns;
    while (n > 0 && m.data[r * m.columns + n - 1] === padId) n--;
    lengths[r] = n;
  }
  return lengths;
}

function checkMatrix(m: PaddedIds, what: string, rows: number) {
  if (m.data.length !== m.rows * m.columns)
    throw new Error(`${what}: ${m.data.length} ids do not fill [${m.rows}, ${m.columns}].`);
  if (m.rows !== rows)
    throw new Error(`${what} has ${m.rows} rows but the labels have ${rows}: they must match.`);
}

/**
 * Batches padded token-id matrices with each batch cut to its longest row, after grouping rows of
 * similar length (bucketing). Padding is pure waste for an attention model whose padding is masked:
 * Anki sentence pairs padded to 32 tokens use about a third of their positions, so a training step
 * on trimmed batches does a third of the arithmetic. The values the model computes for real tokens
 * are unchanged as long as padding is masked (and Super's mixing zeroes padded values first).
 *
 * The order of rows and of batches is drawn from the trainer's RNG, so runs and resumes repeat.
 */
export function sequenceBatches(
  inputs: readonly PaddedIds[],
  labels: PaddedIds,
  options: SequenceBatchesOptions,
): BatchSource {
  const { batchSize, padId, shuffle = true, labelsLike } = options;
  const bucketBatches = options.bucketBatches ?? 32;
  const widthMultiple = options.widthMultiple ?? 1;
  if (!Number.isInteger(widthMultiple) || widthMultiple < 1)
    throw new Error(`widthMultiple must be an integer >= 1, got ${widthMultiple}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batchSize must be an integer >= 1, got ${batchSize}`);
  if (!Number.isInteger(bucketBatches) || bucketBatches < 1)
    throw new Error(`bucketBatches must be an integer >= 1, got ${bucketBatches}`);
  if (inputs.length === 0) throw new Error('sequenceBatches needs at least one input matrix.');
  const n = labels.rows;
  for (const [i, m] of inputs.entries()) checkMatrix(m, `input ${i}`, n);
  checkMatrix(labels, 'labels', n);
  if (labelsLike !== undefined && inputs[labelsLike]?.columns !== labels.columns)
    throw new Error(
      `labelsLike ${labelsLike}: that input must exist and have the labels' ${labels.columns} columns.`,
    );
  const inputLengths = inputs.map((m) => usedLengths(m, padId));
  const labelLengths = usedLengths(labels, padId);
  if (labelsLike !== undefined) {
    const shared = inputLengths[labelsLike];
    for (let r = 0; r < n; r++) shared[r] = labelLengths[r] = Math.max(shared[r], labelLengths[r]);
  }
  // One sort key per row: its longest matrix, so a bucket is short in every input at once.
  const key = new Int32Array(n);
  for (let r = 0; r < n; r++) key[r] = Math.max(labelLengths[r], ...inputLengths.map((l) => l[r]));
  const count = Math.ceil(n / batchSize);

  const cut = (m: PaddedIds, lengths: Int32Array, rows: Int32Array): tf.Tensor2D => {
    let width = 1; // at least one column, so an all-padding batch still has a shape
    for (const r of rows) width = Math.max(width, lengths[r]);
    width = Math.min(m.columns, Math.ceil(width / widthMultiple) * widthMultiple);
    const out = new Int32Array(rows.length * width).fill(padId);
    rows.forEach((r, i) => {
      out.set(m.data.subarray(r * m.columns, r * m.columns + width), i * width);
    });
    return tf.tensor2d(out, [rows.length, width], 'int32');
  };

  const source: BatchSource = function* ({ rng }) {
    const order = shuffle ? rng.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
    const window = batchSize * bucketBatches;
    if (bucketBatches > 1) {
      for (let start = 0; start < n; start += window) {
        const w = order.subarray(start, Math.min(n, start + window));
        // Stable by position in the shuffled order, so ties keep the RNG's order.
        const sorted = Array.from(w).sort((a, b) => key[a] - key[b]);
        w.set(sorted);
      }
    }
    // Batches in shuffled order: otherwise every window would run from short to long rows.
    const batchOrder = shuffle ? rng.permutation(count) : Int32Array.from({ length: count }, (_, i) => i);
    for (const b of batchOrder) {
      const rows = order.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
      const batch: Batch = {
        xs: inputs.map((m, i) => cut(m, inputLengths[i], rows)),
        ys: cut(labels, labelLengths, rows),
      };
      yield batch;
    }
  };
  source.batchesPerEpoch = count;
  return source;
}
