import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { accuracy, sparseCrossEntropy, topKAccuracy } from './index';
import { useCpu } from './testing/helpers';

beforeAll(useCpu);

const logits = [
  [2, 1, 0.1],
  [0.5, 2.5, -1],
];

function manual(row: number[], label: number, eps: number): number {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
  return -row.reduce((s, x, c) => s + ((c === label ? 1 - eps : 0) + eps / row.length) * (x - lse), 0);
}

describe('sparse cross-entropy', () => {
  it('matches the formula, with and without label smoothing, from logits and from probabilities', () => {
    const x = tf.tensor2d(logits);
    const y = tf.tensor1d([0, 2], 'int32');
    for (const eps of [0, 0.1]) {
      const want = (manual(logits[0], 0, eps) + manual(logits[1], 2, eps)) / 2;
      expect(
        sparseCrossEntropy(x, y, { numClasses: 3, fromLogits: true, labelSmoothing: eps }).dataSync()[0],
      ).toBeCloseTo(want, 5);
      const p = tf.softmax(x);
      expect(
        sparseCrossEntropy(p, y, { numClasses: 3, fromLogits: false, labelSmoothing: eps }).dataSync()[0],
      ).toBeCloseTo(want, 4);
      p.dispose();
    }
    tf.dispose([x, y]);
  });

  it('averages sequence outputs over positions whose label is not the ignore index', () => {
    // [batch 1, T 3, vocab 3]; the middle position is padding (-1)
    const x = tf.tensor3d([[logits[0], [9, -9, 0], logits[1]]]);
    const y = tf.tensor2d([[0, -1, 2]], undefined, 'int32');
    const got = sparseCrossEntropy(x, y, { numClasses: 3, fromLogits: true, ignoreIndex: -1 }).dataSync()[0];
    expect(got).toBeCloseTo((manual(logits[0], 0, 0) + manual(logits[1], 2, 0)) / 2, 5);
    tf.dispose([x, y]);
  });
});

describe('metrics', () => {
  it('accuracy and top-k count only non-ignored positions', async () => {
    const x = tf.tensor3d([
      [
        [0.7, 0.2, 0.1],
        [0.1, 0.2, 0.7],
        [0.2, 0.5, 0.3],
        [0.3, 0.3, 0.4],
      ],
    ]);
    const y = tf.tensor2d([[0, 1, 2, 1]], undefined, 'int32');
    const acc = accuracy();
    const top2 = topKAccuracy(2);
    acc.reset();
    top2.reset();
    await acc.update(x, y, { numClasses: 3 });
    await top2.update(x, y, { numClasses: 3 });
    expect(acc.result()).toBeCloseTo(1 / 4);
    expect(top2.result()).toBeCloseTo(3 / 4);
    acc.reset();
    const z = tf.tensor2d([[0, -1, 2, -1]], undefined, 'int32');
    await acc.update(x, z, { numClasses: 3, ignoreIndex: -1 });
    expect(acc.result()).toBeCloseTo(1 / 2);
    expect(top2.name).toBe('top2_accuracy');
    tf.dispose([x, y, z]);
  });
});
