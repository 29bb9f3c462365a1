import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BatchSource, DiskCheckpointStore, MemoryCheckpointStore, tensorBatches, train } from './node';
import { blobSource, blobs, maxAbsDiff, tinyModel, useCpu, weightsOf } from './testing/helpers';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'attnzoo-train-'));
  dirs.push(d);
  return d;
};
beforeAll(useCpu);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('bad input', () => {
  it('a batch whose shape does not match the model', async () => {
    const model = tinyModel({ features: 6 });
    const xs = tf.zeros([4, 5]);
    const ys = tf.zeros([4], 'int32');
    const before = tf.memory().numTensors;
    await expect(train({ model, train: tensorBatches(xs, ys, { batchSize: 4 }), epochs: 1 })).rejects.toThrow(
      "batch xs shape [4,5] does not match model input [null,6]: check the preprocessor's output size",
    );
    expect(tf.memory().numTensors).toBe(before);
    const ys2 = tf.zeros([4, 2], 'int32');
    const xs2 = tf.zeros([4, 6]);
    await expect(
      train({ model, train: tensorBatches(xs2, ys2, { batchSize: 4 }), epochs: 1 }),
    ).rejects.toThrow(/batch ys shape \[4,2\] does not match model output \[null,3\]/);
    tf.dispose([xs, ys, xs2, ys2]);
    model.dispose();
  });

  it('labels out of range', async () => {
    const model = tinyModel();
    const xs = tf.zeros([4, 6]);
    const ys = tf.tensor1d([0, 1, 3, 2], 'int32');
    await expect(
      train({ model, train: tensorBatches(xs, ys, { batchSize: 4, shuffle: false }), epochs: 1 }),
    ).rejects.toThrow(/label 3 at position 2 of the batch is outside \[0, 3\).*check the label encoding/);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('an empty data source, for training and for validation', async () => {
    const model = tinyModel();
    const empty: BatchSource = () => [];
    await expect(train({ model, train: empty, epochs: 1 })).rejects.toThrow(
      /training data source yielded no batches in epoch 0/,
    );
    const tr = blobSource(16, 8);
    await expect(train({ model, train: tr.source, validation: empty, epochs: 1 })).rejects.toThrow(
      /validation data source yielded no batches/,
    );
    tr.dispose();
    model.dispose();
  });

  it('a checkpoint from another model', async () => {
    const store = new MemoryCheckpointStore();
    const a = tinyModel({ features: 6 });
    const tr = blobSource(16, 8);
    await train({ model: a, train: tr.source, epochs: 1, checkpoints: store });
    const b = tinyModel({ features: 6, classes: 4 });
    await expect(
      train({ model: b, train: tr.source, epochs: 2, checkpoints: store, resume: true }),
    ).rejects.toThrow(
      /checkpoint is from another model: weight 2 .* is float32\[12,3\] but the model's .* is float32\[12,4\]/,
    );
    tr.dispose();
    a.dispose();
    b.dispose();
  });

  it('a corrupted checkpoint on disk', async () => {
    const dir = tempDir();
    const store = new DiskCheckpointStore(dir);
    const model = tinyModel();
    const tr = blobSource(16, 8);
    await train({ model, train: tr.source, epochs: 1, checkpoints: store });
    const folder = (await store.folder('last'))!;
    const file = join(dir, folder, 'weights.bin');
    const bytes = readFileSync(file);
    bytes[5] ^= 0xff;
    writeFileSync(file, bytes);
    await expect(
      train({ model, train: tr.source, epochs: 2, checkpoints: store, resume: true }),
    ).rejects.toThrow(/checkpoint .* is corrupted: sha256 of weights.bin/);
    writeFileSync(join(dir, 'last.json'), '{"fol');
    await expect(store.load('last')).rejects.toThrow(/last.json is corrupted/);
    tr.dispose();
    model.dispose();
  });

  it('a write that dies before it is committed leaves the previous checkpoint readable', async () => {
    const dir = tempDir();
    let epochs = 0;
    const store = new DiskCheckpointStore(dir, {
      beforeCommit: (tag) => {
        if (tag === 'last' && ++epochs === 2) throw new Error('simulated crash');
      },
    });
    const model = tinyModel();
    const tr = blobSource(16, 8);
    let afterFirst: Float32Array[] = [];
    await expect(
      train({
        model,
        train: tr.source,
        epochs: 3,
        checkpoints: store,
        callbacks: [
          {
            onEpochEnd: async (l) => {
              if (l.epoch === 0) afterFirst = await weightsOf(model);
            },
          },
        ],
      }),
    ).rejects.toThrow('simulated crash');
    expect(readdirSync(dir).some((f) => f.includes('.tmp-'))).toBe(true);
    const last = await new DiskCheckpointStore(dir).load('last');
    expect(last?.state.epoch).toBe(1);
    expect(
      maxAbsDiff(
        last!.weights.map((w) => w.data as Float32Array),
        afterFirst,
      ),
    ).toBe(0);
    tr.dispose();
    model.dispose();
  });

  it('resume without a checkpoint store', async () => {
    const model = tinyModel();
    const { xs, ys } = blobs(8);
    await expect(
      train({ model, train: tensorBatches(xs, ys, { batchSize: 8 }), epochs: 1, resume: true }),
    ).rejects.toThrow(/resume needs a checkpoint store/);
    tf.dispose([xs, ys]);
    model.dispose();
  });
});
