import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs's own ops
import { selectBackend, webgpuCensus } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CrossEntropyOptions,
  fusedCrossEntropyActive,
  fusedSoftmaxCrossEntropy,
  Rng,
  setFusedCrossEntropyEnabled,
  sparseCrossEntropy,
  train,
} from './index';
import { blobSource, maxAbsDiff, tinyModel, weightsOf } from './testing/helpers';

/**
 * The fused softmax cross-entropy on webgpu (Mesa's software adapter runs the WGSL kernels) against
 * the unfused loss on the cpu backend: value and gradient with respect to the logits.
 */
async function use(backend: string): Promise<void> {
  await selectBackend(tf, { backend, webgpu: { adapter: 'software' }, log: () => {} });
  expect(tf.getBackend()).toBe(backend);
}

interface Case {
  shape: number[];
  labels: number[];
  opts: CrossEntropyOptions;
  floatLabels?: boolean;
}

/** Logits in about [−6, 6] and labels in [0, C) from a seed, `ignored` of them set to `ignoreIndex`. */
function makeCase(shape: number[], seed: number, opts: CrossEntropyOptions, ignored = 0): Case {
  const rng = new Rng(seed);
  const C = shape[shape.length - 1];
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const labels = Array.from({ length: rows }, () => rng.int(C));
  for (let k = 0; k < ignored; k++) labels[(k * 7 + 1) % rows] = opts.ignoreIndex as number;
  return { shape, labels, opts };
}

function logitsOf(shape: number[], seed: number): Float32Array {
  const rng = new Rng(seed + 1000);
  const size = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: size }, () => 12 * (rng.next() - 0.5));
}

async function lossAndGrad(backend: string, c: Case, seed: number) {
  await use(backend);
  const x = tf.tensor(logitsOf(c.shape, seed), c.shape);
  const y = tf.tensor(c.labels, c.shape.slice(0, -1), c.floatLabels ? 'float32' : 'int32');
  const { value, grad } = tf.valueAndGrad((p: tf.Tensor) => sparseCrossEntropy(p, y, c.opts))(x);
  const loss = (await value.data())[0];
  const dx = (await grad.data()) as Float32Array;
  tf.dispose([x, y, value, grad]);
  return { loss, dx };
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

/**
 * Float32 agreement: the loss to 1e-5 relative; each gradient element to 1e-3 of itself plus 1e-6
 * of the largest (with label smoothing, softmax − ε/C cancels to small values on most classes).
 */
function expectClose(
  got: { loss: number; dx: Float32Array },
  want: { loss: number; dx: Float32Array },
): void {
  expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want.loss)));
  expect(got.dx.length).toBe(want.dx.length);
  const floor = 1e-6 * maxAbs(want.dx);
  let worst = 0;
  for (let i = 0; i < got.dx.length; i++)
    worst = Math.max(worst, Math.abs(got.dx[i] - want.dx[i]) / (1e-3 * Math.abs(want.dx[i]) + floor));
  expect(worst).toBeLessThan(1);
}

const CASES: [string, Case][] = [
  ['7 classes, [5, 7]', makeCase([5, 7], 1, { numClasses: 7, fromLogits: true })],
  [
    '7 classes, [5, 7], smoothing 0.1, two rows ignored',
    makeCase([5, 7], 2, { numClasses: 7, fromLogits: true, labelSmoothing: 0.1, ignoreIndex: -1 }, 2),
  ],
  [
    '1000 classes, [3, 4, 1000], smoothing 0.1, ignoreIndex 0 (padding id)',
    makeCase([3, 4, 1000], 3, { numClasses: 1000, fromLogits: true, labelSmoothing: 0.1, ignoreIndex: 0 }, 3),
  ],
  ['1000 classes, [6, 1000], no smoothing', makeCase([6, 1000], 4, { numClasses: 1000, fromLogits: true })],
  [
    '8000 classes, [2, 3, 8000], smoothing 0.1, ignoreIndex 0',
    makeCase([2, 3, 8000], 5, { numClasses: 8000, fromLogits: true, labelSmoothing: 0.1, ignoreIndex: 0 }, 2),
  ],
  [
    '8000 classes, [4, 8000], smoothing 0.2, ignoreIndex -100 never present',
    makeCase([4, 8000], 6, { numClasses: 8000, fromLogits: true, labelSmoothing: 0.2, ignoreIndex: -100 }),
  ],
  [
    'float labels, [2, 5, 7], smoothing 0.1, ignoreIndex 3',
    {
      ...makeCase([2, 5, 7], 7, { numClasses: 7, fromLogits: true, labelSmoothing: 0.1, ignoreIndex: 3 }, 2),
      floatLabels: true,
    },
  ],
];

describe('fused softmax cross-entropy on the software WebGPU adapter', () => {
  afterEach(() => setFusedCrossEntropyEnabled(true));

  it.each(CASES)('%s: loss and gradient equal the unfused loss on cpu', async (_name, c) => {
    const want = await lossAndGrad('cpu', c, 11);
    await use('webgpu');
    expect(fusedCrossEntropyActive()).toBe(true);
    const got = await lossAndGrad('webgpu', c, 11);
    expectClose(got, want);
  });

  it('gives 0 and a zero gradient when every position is ignored', async () => {
    const c: Case = {
      shape: [2, 3, 1000],
      labels: [0, 0, 0, 0, 0, 0],
      opts: { numClasses: 1000, fromLogits: true, labelSmoothing: 0.1, ignoreIndex: 0 },
    };
    const got = await lossAndGrad('webgpu', c, 12);
    expect(got.loss).toBe(0);
    expect(maxAbs(got.dx)).toBe(0);
  });

  it.each([
    [3, 'one thread a row'],
    [40, 'one workgroup a row'],
  ])('takes more rows than one grid dimension holds (70,000 rows of %i classes: %s)', async (C) => {
    const c = makeCase([70000, C], 13, {
      numClasses: C,
      fromLogits: true,
      labelSmoothing: 0.1,
      ignoreIndex: 2,
    });
    const want = await lossAndGrad('cpu', c, 13);
    const got = await lossAndGrad('webgpu', c, 13);
    expectClose(got, want);
  });

  it('switched off, the loss is the unfused one on webgpu as well', async () => {
    const c = makeCase([3, 7], 14, { numClasses: 7, fromLogits: true, labelSmoothing: 0.1 });
    const fused = await lossAndGrad('webgpu', c, 14);
    setFusedCrossEntropyEnabled(false);
    expect(fusedCrossEntropyActive()).toBe(false);
    const unfused = await lossAndGrad('webgpu', c, 14);
    expectClose(fused, unfused);
  });

  // tfjs-backend-webgpu casts tensors under 1,000 values that are still in host memory on the CPU;
  // a batch's 1,200 labels, once on the device, are cast there (one dispatch).
  it.each([
    ['int32 labels, 1000 classes', [4, 6, 1000], 'int32', 3],
    ['float labels on the device, 7 classes (one cast)', [40, 30, 7], 'float32', 4],
  ] as const)('%s: two dispatches forward and one backward, no uploads (unfused: 30 or more, and uploads)', async (_name, shape, dtype, dispatches) => {
    await use('webgpu');
    const C = shape[shape.length - 1];
    const c = makeCase(
      [...shape],
      15,
      { numClasses: C, fromLogits: true, labelSmoothing: 0.1, ignoreIndex: 0 },
      5,
    );
    const x = tf.tensor(logitsOf(c.shape, 15), c.shape);
    const y = tf.tensor(c.labels, c.shape.slice(0, -1), dtype);
    const dy = tf.scalar(1);
    const step = async () => {
      const { value, grad } = tf.valueAndGrad((p: tf.Tensor) => sparseCrossEntropy(p, y, c.opts))(x, dy);
      await grad.data();
      tf.dispose([value, grad]);
    };
    await step(); // uploads x, y and dy, compiles the pipelines
    const fused = (await webgpuCensus(tf, step)).census;
    setFusedCrossEntropyEnabled(false);
    await step();
    const unfused = (await webgpuCensus(tf, step)).census;
    setFusedCrossEntropyEnabled(true);
    tf.dispose([x, y, dy]);
    expect(fused.byKernel).toEqual([
      { kernel: 'AttnzooCrossEntropyBackward', count: 1 },
      { kernel: 'AttnzooCrossEntropyMean', count: 1 },
      { kernel: 'AttnzooCrossEntropyRows', count: 1 },
    ]);
    expect(fused.dispatches).toBe(dispatches);
    expect(fused.uploads).toBe(0);
    expect(unfused.dispatches).toBeGreaterThanOrEqual(30);
    expect(unfused.uploads).toBeGreaterThan(0);
  });

  it('trains a small classifier to the weights the unfused loss gives', async () => {
    await use('webgpu');
    const run = async (fused: boolean) => {
      setFusedCrossEntropyEnabled(fused);
      const model = tinyModel({ softmax: false, seed: 3 });
      const tr = blobSource(64, 16, 5);
      const result = await train({
        model,
        train: tr.source,
        epochs: 2,
        seed: 1,
        lr: 0.02,
        labelSmoothing: 0.1,
      });
      const weights = await weightsOf(model);
      tr.dispose();
      model.dispose();
      return { weights, loss: result.history[result.history.length - 1].loss };
    };
    const fused = await run(true);
    const unfused = await run(false);
    expect(maxAbsDiff(fused.weights, unfused.weights)).toBeLessThan(1e-5);
    expect(Math.abs(fused.loss - unfused.loss)).toBeLessThan(1e-5);
  });

  it('leaves no tensors behind, with and without the gradient', async () => {
    await use('webgpu');
    const c = makeCase(
      [3, 5, 40],
      16,
      { numClasses: 40, fromLogits: true, labelSmoothing: 0.1, ignoreIndex: 1 },
      2,
    );
    const x = tf.tensor(logitsOf(c.shape, 16), c.shape);
    const y = tf.tensor(c.labels, c.shape.slice(0, -1), 'int32');
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const loss = sparseCrossEntropy(x, y, c.opts);
      const { value, grad } = tf.valueAndGrad((p: tf.Tensor) => sparseCrossEntropy(p, y, c.opts))(x);
      await grad.data();
      tf.dispose([loss, value, grad]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });

  it('names labels that do not match the rows', async () => {
    await use('webgpu');
    const x = tf.zeros([2, 3, 5]);
    const y = tf.zeros([2, 4], 'int32');
    expect(() => fusedSoftmaxCrossEntropy(x, y, {})).toThrow(
      'labels [2,4] must have one value for each of the 6 rows',
    );
    tf.dispose([x, y]);
  });
});
