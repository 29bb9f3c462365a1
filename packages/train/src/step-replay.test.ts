import { selectBackend } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Callback, setStepReplay, type TrainResult, train } from './index';
import { blobSource, tinyModel, weightsOf } from './testing/helpers';

// Replayed steps must be the op-by-op steps exactly (same kernels, same buffers, same inputs), on
// the software adapter; what cannot be replayed runs op by op and says why.
describe('step replay (webgpu, software adapter)', () => {
  beforeAll(async () => {
    await selectBackend(tf, { backend: 'webgpu', webgpu: { adapter: 'software' }, log: () => {} });
  });
  afterAll(() => setStepReplay(true));

  const fit = async (
    replay: boolean,
    o: {
      n: number;
      batch: number;
      epochs: number;
      dropout?: number;
      callbacks?: (m: tfl.LayersModel) => Callback[];
    },
  ) => {
    setStepReplay(replay);
    const model = tinyModel({ seed: 3, dropout: o.dropout, softmax: false });
    const data = blobSource(o.n, o.batch);
    const losses: number[] = [];
    const result: TrainResult = await train({
      model,
      train: data.source,
      epochs: o.epochs,
      seed: 11,
      lr: 0.01,
      clipNorm: 1,
      callbacks: [{ onBatchEnd: (l) => void losses.push(l.loss) }, ...(o.callbacks?.(model) ?? [])],
    });
    const weights = await weightsOf(model);
    model.dispose();
    data.dispose();
    return { losses, weights, result };
  };

  it('replays each batch shape and matches op-by-op training bit for bit', async () => {
    // 224 examples in batches of 64: three of 64 and one of 32 per epoch, two shapes to capture.
    const o = { n: 224, batch: 64, epochs: 4 };
    const eager = await fit(false, o);
    const replayed = await fit(true, o);
    const r = replayed.result.stepReplay!;
    expect(r.fallbacks).toEqual([]);
    // Each shape is captured until two captures agree (two or three steps: the first step of a run
    // uploads constants that later steps find on the GPU), then replayed: 12 steps of 64 rows, 4 of 32.
    expect(r.replayed).toBeGreaterThanOrEqual(12 - 3 + 4 - 3);
    expect(r.replayed + r.eager).toBe(16);
    expect(r.captures).toBe(r.eager);
    expect(replayed.losses).toEqual(eager.losses);
    for (const [i, w] of replayed.weights.entries()) {
      expect(Array.from(w), `weight ${i}`).toEqual(Array.from(eager.weights[i]));
    }
  });

  it('reads current weights after replays (a checkpoint or save between epochs reads the GPU, not a stale copy)', async () => {
    // tfjs caches a tensor's values on the CPU at its first read and trusts the cache ever after:
    // replays write weights and moments in place, so every read after a replay must go to the GPU.
    // Seen on an H200: checkpoints after epoch 2+ held the values first read at epoch 1.
    const reads: Float32Array[][] = [];
    const readEachEpoch = (m: tfl.LayersModel): Callback[] => [
      { onEpochEnd: async () => void reads.push(await weightsOf(m)) },
    ];
    const o = { n: 256, batch: 64, epochs: 4, callbacks: readEachEpoch };
    const eager = await fit(false, o);
    const eagerReads = reads.splice(0);
    const replayed = await fit(true, o);
    expect(replayed.result.stepReplay!.replayed).toBeGreaterThan(8);
    expect(reads.length).toBe(4);
    for (const [e, epoch] of reads.entries())
      for (const [i, w] of epoch.entries())
        expect(Array.from(w), `epoch ${e + 1} weight ${i}`).toEqual(Array.from(eagerReads[e][i]));
    expect(replayed.losses).toEqual(eager.losses);
  });

  it('leaves a clone of the weights alone (a best-epoch snapshot keeps its epoch)', async () => {
    // tf.clone shares the variable's GPU buffer; replays write weights in place, so a snapshot
    // taken with clone() at an epoch's end followed the weights on and a "best epoch" restore put
    // the last epoch back (seen in the paper's IMDB setup on an H200).
    const snapshots: tf.Tensor[][] = [];
    // Also one after the first step, while the step is still being captured: the capture waits
    // for a step whose weights nothing else holds.
    const snapshot = (m: tfl.LayersModel) => void snapshots.push(m.getWeights().map((w) => w.clone()));
    const cloneEachEpoch = (m: tfl.LayersModel): Callback[] => [
      { onBatchEnd: (l) => (l.step === 1 ? snapshot(m) : undefined), onEpochEnd: () => snapshot(m) },
    ];
    const o = { n: 256, batch: 64, epochs: 4, callbacks: cloneEachEpoch };
    const read = async () => {
      const out = await Promise.all(snapshots.flat().map((t) => t.data() as Promise<Float32Array>));
      tf.dispose(snapshots.splice(0).flat());
      return out;
    };
    const eager = await fit(false, o);
    const eagerSnapshots = await read();
    const replayed = await fit(true, o);
    const replayedSnapshots = await read();
    expect(replayed.result.stepReplay!.fallbacks).toEqual([]);
    expect(replayed.result.stepReplay!.replayed).toBeGreaterThan(8);
    expect(replayedSnapshots.length).toBe(eagerSnapshots.length);
    for (const [i, w] of replayedSnapshots.entries())
      expect(Array.from(w), `snapshot ${i}`).toEqual(Array.from(eagerSnapshots[i]));
    expect(replayed.losses).toEqual(eager.losses);
  });

  it('captures again when a weight is written between steps', async () => {
    const halve = (m: tfl.LayersModel): Callback[] => [
      {
        onBatchEnd: (l) => {
          if (l.step === 5) tf.tidy(() => void m.weights[0].write(tf.mul(m.weights[0].read(), 0.5)));
        },
      },
    ];
    const o = { n: 256, batch: 64, epochs: 3, callbacks: halve };
    const eager = await fit(false, o);
    const replayed = await fit(true, o);
    const r = replayed.result.stepReplay!;
    // Captured at the start (two or three steps) and again after the write (two steps).
    expect(r.captures).toBeGreaterThanOrEqual(4);
    expect(r.captures).toBeLessThanOrEqual(5);
    expect(r.replayed).toBe(12 - r.captures);
    expect(replayed.losses).toEqual(eager.losses);
    for (const [i, w] of replayed.weights.entries()) {
      expect(Array.from(w), `weight ${i}`).toEqual(Array.from(eager.weights[i]));
    }
  });

  it('runs steps op by op, saying why, when their uploads change from step to step', async () => {
    // tfjs-layers' dropout draws its mask in JavaScript and uploads it: not a marked input.
    const o = { n: 256, batch: 64, epochs: 2, dropout: 0.3 };
    const eager = await fit(false, o);
    const replayed = await fit(true, o);
    const r = replayed.result.stepReplay!;
    expect(r.replayed).toBe(0);
    expect(r.fallbacks).toHaveLength(1);
    expect(r.fallbacks[0]).toMatch(/float32\[64,6\] int32\[64\]: consecutive steps differ/);
    expect(replayed.losses).toEqual(eager.losses);
  });

  it('holds GPU memory and tensors flat over 100 replayed steps', async () => {
    setStepReplay(true);
    const model = tinyModel({ seed: 3, softmax: false });
    const data = blobSource(64 * 4, 16);
    const samples: { bytes: number; tensors: number }[] = [];
    const probe: Callback = {
      onBatchEnd: (l) => {
        if (l.step % 10 === 0) {
          const m = tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU?: number };
          samples.push({ bytes: m.numBytesAllocatedInGPU ?? Number.NaN, tensors: m.numTensors });
        }
      },
    };
    const result = await train({
      model,
      train: data.source,
      epochs: 7,
      seed: 1,
      clipNorm: 1,
      callbacks: [probe],
    });
    model.dispose();
    data.dispose();
    expect(result.stepReplay!.replayed).toBeGreaterThanOrEqual(7 * 16 - 3);
    const later = samples.slice(1);
    expect(later.length).toBeGreaterThanOrEqual(10);
    for (const s of later) {
      expect(s.bytes).toBe(later[0].bytes);
      expect(s.tensors).toBe(later[0].tensors);
    }
  });
});
