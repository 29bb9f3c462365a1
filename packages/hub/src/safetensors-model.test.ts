import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { PresetError } from './errors';
import { loadPresetFiles, MODEL_FILE, presetFiles } from './preset';
import { decodeSafetensors, encodeSafetensors } from './safetensors';
import {
  exportPresetSafetensors,
  exportSafetensors,
  importSafetensors,
  presetFromSafetensors,
  SAFETENSORS_CONFIG_KEY,
  SAFETENSORS_PRESET_KEY,
} from './safetensors-model';
import { metadataFor, predict, tinyEncoder, useCpu } from './testing/models';

const CONFIG = { task: { className: 'attnzoo.test.Tiny', config: { width: 8 } } };

beforeAll(useCpu);

function modelJsonNames(files: Record<string, Uint8Array>) {
  const json = JSON.parse(new TextDecoder().decode(files[MODEL_FILE]));
  return json.weightsManifest.flatMap((g: { weights: { name: string; shape: number[] }[] }) =>
    g.weights.map((w) => [w.name, w.shape]),
  );
}

describe('models ⇄ safetensors', () => {
  it('names and shapes are those of the preset model.json, with attnzoo metadata', async () => {
    const model = tinyEncoder('super');
    const files = await presetFiles(model, metadataFor('tiny'), { config: CONFIG });
    const { tensors, metadata } = decodeSafetensors(
      exportSafetensors({ model }, { preset: 'tiny', config: CONFIG }),
    );
    expect(tensors.map((t) => [t.name, t.shape])).toEqual(modelJsonNames(files));
    expect(metadata).toEqual({
      format: 'attnzoo',
      [SAFETENSORS_PRESET_KEY]: 'tiny',
      [SAFETENSORS_CONFIG_KEY]: JSON.stringify(CONFIG),
    });
    model.dispose();
  });

  it('export → import into a differently seeded model: identical predictions, bit for bit', async () => {
    for (const variant of ['sdpa', 'optimised', 'efficient', 'super'] as const) {
      const a = tinyEncoder(variant);
      const b = tinyEncoder(variant);
      // b starts from other weights
      b.setWeights(b.getWeights().map((w) => tf.tidy(() => tf.add(w, 1))));
      const r = importSafetensors(b, exportSafetensors(a), { source: 'a.safetensors' });
      expect(r.changed).toBe(r.assigned);
      expect(await predict(b)).toEqual(await predict(a));
      const back = decodeSafetensors(exportSafetensors(b)).tensors;
      const original = decodeSafetensors(exportSafetensors(a)).tensors;
      expect(back).toEqual(original);
      a.dispose();
      b.dispose();
    }
  });

  it('float16 and bfloat16 exports hold the weights to their rounding', async () => {
    const a = tinyEncoder('sdpa');
    const exact = decodeSafetensors(exportSafetensors(a)).tensors;
    for (const [dtype, ulp] of [
      ['float16', 2 ** -11],
      ['bfloat16', 2 ** -8],
    ] as const) {
      const half = decodeSafetensors(exportSafetensors(a, { dtype })).tensors;
      for (const [i, t] of half.entries()) {
        expect(t.dtype).toBe(dtype);
        t.data.forEach((v, j) => {
          const x = exact[i].data[j];
          expect(Math.abs(v - x)).toBeLessThanOrEqual(Math.max(Math.abs(x) * ulp, 2 ** -24));
        });
      }
      const b = tinyEncoder('sdpa');
      const r = importSafetensors(b, exportSafetensors(a, { dtype }));
      expect(r.dtypes).toEqual([dtype]);
      if (dtype === 'float16') expect(r.float16Exact).toBe(true); // (bfloat16 values of this size are float16 values too)
      b.dispose();
    }
    a.dispose();
  });

  it('missing, extra and mismatched weights: one error listing them, nothing assigned', async () => {
    const a = tinyEncoder('sdpa');
    const b = tinyEncoder('sdpa', 8, 2); // two blocks
    const before = await predict(b);
    const numTensors = tf.memory().numTensors;
    let e: unknown;
    try {
      importSafetensors(b, exportSafetensors(a), { source: 'one-block.safetensors' });
    } catch (error) {
      e = error;
    }
    expect(e).toBeInstanceOf(PresetError);
    expect((e as PresetError).code).toBe('shape-mismatch');
    expect((e as Error).message).toMatch(
      /one-block\.safetensors does not fit the model \(missing \d+ weight/,
    );
    expect((e as Error).message).toContain('block1');
    expect((e as Error).message).toMatch(/Nothing was loaded/);
    expect(await predict(b)).toEqual(before);
    expect(tf.memory().numTensors).toBe(numTensors);

    // one tensor with another shape, and one the model lacks
    const tensors = decodeSafetensors(exportSafetensors(a)).tensors;
    tensors[0] = { ...tensors[0], shape: [...tensors[0].shape].reverse() };
    tensors.push({ name: 'stray/kernel', dtype: 'float32', shape: [1], data: new Float32Array(1) });
    const c = tinyEncoder('sdpa');
    expect(() => importSafetensors(c, encodeSafetensors(tensors), { source: 'edited.safetensors' })).toThrow(
      /1 tensor\(s\) the model has no place for: stray\/kernel; 1 shape mismatch\(es\): .* in the file/,
    );
    // a wider model
    const d = tinyEncoder('sdpa', 12);
    expect(() => importSafetensors(d, exportSafetensors(a))).toThrow(/shape mismatch/);
    // NaN weights are refused
    const broken = decodeSafetensors(exportSafetensors(a)).tensors;
    broken[1].data[0] = Number.NaN;
    expect(() => importSafetensors(c, encodeSafetensors(broken))).toThrow(/NaN/);
    for (const m of [a, b, c, d]) m.dispose();
  });

  it('preset → safetensors → new preset: loads with identical predictions; metrics kept only for the same weights', async () => {
    const a = tinyEncoder('efficient');
    const files = await presetFiles(a, metadataFor('tiny'), {
      config: CONFIG,
      float16: true,
      extraFiles: { 'labels.txt': 'a\nb\nc\n' },
    });
    const base = await loadPresetFiles(files, 'tiny');
    const bytes = exportPresetSafetensors(base);
    const meta = decodeSafetensors(bytes).metadata;
    expect(JSON.parse(meta[SAFETENSORS_CONFIG_KEY])).toEqual({ ...CONFIG, formatVersion: 1 });
    expect(meta[SAFETENSORS_PRESET_KEY]).toBe('tiny');

    const other = await loadPresetFiles(files, 'tiny');
    const made = await presetFromSafetensors(other, bytes, { source: 'tiny.safetensors' });
    expect(made.float16).toBe(true); // float16 weights stay float16, bit for bit
    expect(made.result.changed).toBe(0);
    const again = await loadPresetFiles(made.files, 'imported');
    expect(await predict(again.model)).toEqual(await predict(base.model));
    expect(again.metadata.metrics).toEqual(base.metadata.metrics);
    expect(again.metadata.importedFrom).toBe('tiny.safetensors');
    expect(new TextDecoder().decode(again.files['labels.txt'])).toBe('a\nb\nc\n');
    expect(again.config).toEqual(base.config);

    // other weights: stored as float32 (they are not all float16 values), card metrics dropped
    const c = tinyEncoder('efficient');
    c.setWeights(c.getWeights().map((w) => tf.tidy(() => tf.mul(w, 1.001))));
    const third = await loadPresetFiles(files, 'tiny');
    const changed = await presetFromSafetensors(third, exportSafetensors(c), { name: 'tiny-torch' });
    expect(changed.float16).toBe(false);
    const loaded = await loadPresetFiles(changed.files, 'changed');
    expect(loaded.metadata.metrics).toBeUndefined();
    expect(loaded.metadata.name).toBe('tiny-torch');
    expect(await predict(loaded.model)).toEqual(await predict(c));
    for (const m of [a, base.model, other.model, again.model, c, third.model, loaded.model]) m.dispose();
  });
});
