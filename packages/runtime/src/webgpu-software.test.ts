import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from './select-backend';
import { webgpuCensus } from './webgpu-census';

// Runs the real WGSL kernels of tfjs-backend-webgpu on Mesa's software adapter.
describe('webgpu on the software adapter', () => {
  it('initialises and matches the cpu backend on a matmul + softmax', async () => {
    const a = [...Array(48 * 40)].map((_, i) => Math.sin(i * 0.37));
    const b = [...Array(40 * 24)].map((_, i) => Math.cos(i * 0.11));
    const run = () =>
      tf.tidy(() => tf.softmax(tf.matMul(tf.tensor2d(a, [48, 40]), tf.tensor2d(b, [40, 24]))));
    await selectBackend(tf, { backend: 'cpu', log: () => {} });
    const expected = await run().data();
    const choice = await selectBackend(tf, {
      backend: 'webgpu',
      webgpu: { adapter: 'software' },
      log: () => {},
    });
    expect(choice.webgpuAdapter?.software).toBe(true);
    const actual = await run().data();
    let maxErr = 0;
    for (let i = 0; i < expected.length; i++) maxErr = Math.max(maxErr, Math.abs(expected[i] - actual[i]));
    expect(maxErr).toBeLessThan(1e-5);
  });
});

describe('webgpu int/bool → float casts', () => {
  it('write a real float32 buffer (tfjs 4.22 relabels the i32 buffer, which breaks Transpose and others)', async () => {
    await selectBackend(tf, { backend: 'webgpu', webgpu: { adapter: 'software' }, log: () => {} });
    const backend = tf.backend() as unknown as { tensorMap: { get(id: object): { dtype: string } } };
    const ids = tf.tensor3d([1, 0, 3, 0, 5, 6], [2, 3, 1], 'int32');
    const mask = tf.cast(tf.notEqual(ids, 0), 'float32');
    const floats = tf.cast(ids, 'float32');
    expect(backend.tensorMap.get(mask.dataId).dtype).toBe('float32');
    expect(backend.tensorMap.get(floats.dataId).dtype).toBe('float32');
    expect(await tf.sum(mask, 1).array()).toEqual([[2], [2]]);
    expect(await tf.sum(floats, 1).array()).toEqual([[4], [11]]);
  });
});

describe('webgpuCensus', () => {
  it('counts dispatches by program and host uploads, and leaves the backend as it was', async () => {
    await selectBackend(tf, { backend: 'webgpu', webgpu: { adapter: 'software' }, log: () => {} });
    // Uploaded by a first product (tfjs keeps host values on the CPU until a GPU kernel needs them).
    const x = tf.fill([64, 64], 2);
    await tf.tidy(() => tf.sum(tf.mul(x, x))).data();
    const { result, census } = await webgpuCensus(tf, async () => {
      const w = tf.tensor1d(Array.from({ length: 64 }, (_, i) => i));
      const y = tf.tidy(() => tf.sum(tf.mul(x, w), -1));
      w.dispose();
      return (await y.data())[0];
    });
    expect(result).toBe(2 * ((63 * 64) / 2));
    expect(census.uploads, JSON.stringify(census)).toBe(1); // the tensor1d: 64 float32
    expect(census.uploadBytes).toBe(256);
    expect(census.byProgram.map((p) => p.program)).toEqual(
      expect.arrayContaining(['BinaryOpProgram', 'ReduceProgram']),
    );
    expect(census.dispatches).toBe(census.byProgram.reduce((a, p) => a + p.count, 0));
    expect(census.otherDispatches).toBe(0);
    const after = await webgpuCensus(tf, () => 0);
    expect(after.census.dispatches).toBe(0);
    tf.dispose(x);
    await expect(
      selectBackend(tf, { backend: 'cpu', log: () => {} }).then(() => webgpuCensus(tf, () => 0)),
    ).rejects.toThrow('webgpuCensus needs the webgpu backend, not cpu');
  });
});

describe('webgpu SplitV', () => {
  it('fills many outputs per dispatch with the stock slices’ values, and keeps the stock kernel for other splits', async () => {
    await selectBackend(tf, { backend: 'webgpu', webgpu: { adapter: 'software' }, log: () => {} });
    const sizes = Array.from({ length: 40 }, (_, i) => (i * 7) % 23); // zeros among them
    const total = sizes.reduce((a, b) => a + b, 0);
    const flat = tf.tidy(() => tf.mul(tf.range(0, total, 1, 'float32'), tf.scalar(1)));
    const ints = tf.tidy(() => tf.cast(flat, 'int32'));
    const matrix = tf.tidy(() => tf.reshape(tf.range(0, 6 * 10, 1, 'float32'), [6, 10]));
    await Promise.all([flat.data(), ints.data(), matrix.data()]);
    const { result, census } = await webgpuCensus(tf, async () => {
      const pieces = [...tf.split(flat, sizes), ...tf.split(ints, sizes), ...tf.split(matrix, [1, 2, 3], 0)];
      const values = await Promise.all(pieces.map((p) => p.array()));
      tf.dispose(pieces);
      return values;
    });
    let start = 0;
    for (const [i, s] of sizes.entries()) {
      const expected = Array.from({ length: s }, (_, k) => start + k);
      expect(result[i]).toEqual(expected);
      expect(result[sizes.length + i]).toEqual(expected);
      start += s;
    }
    expect(result.slice(2 * sizes.length)).toEqual([
      [Array.from({ length: 10 }, (_, k) => k)],
      [0, 1].map((r) => Array.from({ length: 10 }, (_, k) => 10 + r * 10 + k)),
      [0, 1, 2].map((r) => Array.from({ length: 10 }, (_, k) => 30 + r * 10 + k)),
    ]);
    expect(census.byProgram.find((p) => p.program === 'SliceProgram')).toBeUndefined();
    // 40 pieces in groups of (storage buffers per stage − 1), twice, and 3 rows in one.
    const perDispatch =
      (tf.backend() as unknown as { device: GPUDevice }).device.limits.maxStorageBuffersPerShaderStage - 1;
    expect(census.otherDispatches).toBe(2 * Math.ceil(40 / perDispatch) + 1);
    // A split along an inner axis is not contiguous: the stock slices.
    const columns = await webgpuCensus(tf, async () => {
      const parts = tf.split(matrix, [4, 6], 1);
      const v = await Promise.all(parts.map((p) => p.array()));
      tf.dispose(parts);
      return v;
    });
    expect((columns.result[0] as number[][])[1]).toEqual([10, 11, 12, 13]);
    expect(columns.census.byProgram.find((p) => p.program === 'SliceProgram')?.count).toBe(2);
    tf.dispose([flat, ints, matrix]);
  });
});
