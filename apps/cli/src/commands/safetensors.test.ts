import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeSafetensors, fromPretrained, roundToFloat16 } from '@attnzoo/hub/node';
import { TextClassifier } from '@attnzoo/text-classifier/node';
import { ImageClassifier } from '@attnzoo/vit/node';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../testing/run-cli';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const RELEASE = join(root, 'models/vit-mnist-super');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'attnzoo-cli-safetensors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Seeded 28×28 grey images in [0, 255]. */
function images(n: number): tf.Tensor4D {
  let s = 12345;
  const values = Float32Array.from({ length: n * 28 * 28 }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % 256;
  });
  return tf.tensor4d(values, [n, 28, 28, 1]);
}

/** The classifier's class probabilities on a few images, as ImageClassifier.predict gives them. */
async function probabilities(folder: string): Promise<number[][]> {
  const classifier = await ImageClassifier.fromPretrained(folder);
  const x = images(6);
  try {
    return (await classifier.predict(x)).map((p) => p.probabilities);
  } finally {
    x.dispose();
    classifier.dispose();
  }
}

describe('attnzoo export / import (safetensors)', () => {
  it('a committed release → safetensors → a new preset folder with identical predictions', async () => {
    const file = join(dir, 'super.safetensors');
    const e = await cli('export', RELEASE, '--format', 'safetensors', '--out', file, '--json');
    expect(e.stderr).not.toMatch(/attnzoo (ex|im)port:/);
    expect(e.code).toBe(0);
    const summary = JSON.parse(e.stdout);
    expect(summary.dtype).toBe('float32');
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(await readFile(file)), { source: file });
    expect(metadata.format).toBe('attnzoo');
    expect(metadata['attnzoo.preset']).toBe('vit-mnist-super');
    expect(JSON.parse(metadata['attnzoo.config'])).toEqual(
      JSON.parse(await readFile(join(RELEASE, 'preset/config.json'), 'utf8')),
    );
    const modelJson = JSON.parse(await readFile(join(RELEASE, 'preset/model.json'), 'utf8'));
    expect(tensors.map((t) => [t.name, t.shape])).toEqual(
      modelJson.weightsManifest[0].weights.map((w: { name: string; shape: number[] }) => [w.name, w.shape]),
    );

    const out = join(dir, 'imported');
    const i = await cli('import', file, '--into', RELEASE, '--out', out, '--json');
    expect(i.stderr).not.toMatch(/attnzoo (ex|im)port:/);
    expect(i.code).toBe(0);
    const r = JSON.parse(i.stdout);
    expect(r.changed).toBe(0);
    expect(r.storedAs).toBe('float16'); // the release's float16 weights, bit for bit
    const loaded = await fromPretrained(out);
    expect(loaded.metadata.metrics?.length).toBeGreaterThan(0);
    loaded.model.dispose();
    // the same bytes as the release's shard
    const shard = (f: string) => readFile(join(f, 'group1-shard1of1.bin'));
    expect(Buffer.compare(await shard(out), await shard(join(RELEASE, 'preset')))).toBe(0);
    expect(await probabilities(out)).toEqual(await probabilities(join(RELEASE, 'preset')));

    // again: refused without --overwrite, and the folder is left as it was
    const again = await cli('import', file, '--into', RELEASE, '--out', out);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists: pass --overwrite/);
    expect(
      (await cli('import', file, '--into', RELEASE, '--out', out, '--overwrite', '--float32')).code,
    ).toBe(0);
    expect(await probabilities(out)).toEqual(await probabilities(join(RELEASE, 'preset')));
  });

  it('--names hf: a folder transformers reads (SDPA ViT), imported back with identical predictions', async () => {
    const sdpa = join(root, 'models/vit-mnist-sdpa');
    const folder = join(dir, 'hf-sdpa');
    const e = await cli('export', sdpa, '--names', 'hf', '--out', folder, '--json');
    expect(e.stderr).not.toMatch(/attnzoo (ex|im)port:/);
    expect(e.code).toBe(0);
    expect(readdirSync(folder).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'preprocessor_config.json',
    ]);
    const hf = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8'));
    expect(hf.architectures).toEqual(['ViTForImageClassification']);
    expect(Object.keys(hf.id2label)).toHaveLength(10);
    const { tensors, metadata } = decodeSafetensors(
      new Uint8Array(await readFile(join(folder, 'model.safetensors'))),
    );
    expect(metadata['attnzoo.names']).toBe('hf');
    expect(tensors.every((t) => t.name.startsWith('vit.') || t.name.startsWith('classifier.'))).toBe(true);

    const out = join(dir, 'from-hf');
    const i = await cli('import', folder, '--into', sdpa, '--out', out, '--json');
    expect(i.stderr).not.toMatch(/attnzoo (ex|im)port:/);
    expect(i.code).toBe(0);
    expect(JSON.parse(i.stdout).changed).toBe(0);
    expect(await probabilities(out)).toEqual(await probabilities(join(sdpa, 'preset')));

    // Super has no transformers counterpart: refused, nothing written
    const refused = join(dir, 'hf-super');
    const s = await cli('export', RELEASE, '--names', 'hf', '--out', refused);
    expect(s.code).not.toBe(0);
    expect(s.stderr).toMatch(/SDPA ViTs with a class token only: its attention is super/);
    expect(existsSync(refused)).toBe(false);
  });

  it('a text-classifier release: the new preset keeps the tokenizer and predicts the same', async () => {
    const release = join(root, 'models/textcls-imdb-super');
    const file = join(dir, 'textcls.safetensors');
    expect((await cli('export', release, '--out', file)).code).toBe(0);
    const out = join(dir, 'textcls');
    expect((await cli('import', file, '--into', release, '--out', out)).code).toBe(0);
    const texts = ['A wonderful film, the best I have seen this year.', 'Dull, slow and far too long.'];
    const predict = async (folder: string) => {
      const clf = await TextClassifier.fromPretrained(folder);
      try {
        return (await clf.predict(texts)).map((p) => p.probabilities);
      } finally {
        clf.dispose();
      }
    };
    expect(await predict(out)).toEqual(await predict(join(release, 'preset')));
    const tokenizer = (f: string) => readFile(join(f, 'tokenizer.model'));
    expect(Buffer.compare(await tokenizer(out), await tokenizer(join(release, 'preset')))).toBe(0);
  });

  it('float16 and bfloat16 exports hold the values to their rounding', async () => {
    const f32 = join(dir, 'f32.safetensors');
    const f16 = join(dir, 'f16.safetensors');
    const bf16 = join(dir, 'bf16.safetensors');
    expect((await cli('export', RELEASE, '--out', f32)).code).toBe(0);
    expect((await cli('export', RELEASE, '--out', f16, '--dtype', 'float16')).code).toBe(0);
    expect((await cli('export', RELEASE, '--out', bf16, '--dtype', 'bfloat16')).code).toBe(0);
    const read = async (f: string) => decodeSafetensors(new Uint8Array(await readFile(f))).tensors;
    const [a, b, c] = [await read(f32), await read(f16), await read(bf16)];
    for (const [k, t] of a.entries()) {
      expect(b[k].dtype).toBe('float16');
      // the release is float16 already: exact; bfloat16 within half its spacing
      let f16Off = 0;
      let bf16Off = 0;
      for (const [j, v] of t.data.entries()) {
        if (b[k].data[j] !== roundToFloat16(v)) f16Off++;
        if (Math.abs(c[k].data[j] - v) > Math.abs(v) * 2 ** -8) bf16Off++;
      }
      expect([t.name, f16Off, bf16Off]).toEqual([t.name, 0, 0]);
    }
    const size = async (f: string) => (await readFile(f)).byteLength;
    expect(await size(f16)).toBeLessThan((await size(f32)) * 0.55);
  });

  it('refuses weights of another architecture, leaving nothing behind; usage errors', async () => {
    const file = join(dir, 'for-sdpa.safetensors');
    expect((await cli('export', RELEASE, '--out', file)).code).toBe(0);
    const out = join(dir, 'wrong');
    const r = await cli('import', file, '--into', join(root, 'models/vit-mnist-sdpa'), '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/for-sdpa\.safetensors does not fit the model .*Nothing was loaded/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);

    const exists = await cli('export', RELEASE, '--out', file);
    expect(exists.code).toBe(1);
    expect(exists.stderr).toMatch(/already exists: pass --overwrite/);
    expect((await cli('export', RELEASE, '--out', file, '--format', 'onnx')).stderr).toMatch(
      /--format must be safetensors/,
    );
    expect((await cli('export', RELEASE, '--out', file, '--dtype', 'int8')).code).toBe(2);
    expect((await cli('export', RELEASE)).stderr).toMatch(/export needs --out/);
    expect((await cli('import', file, '--out', out)).stderr).toMatch(/import needs --into/);
    const broken = await cli('import', join(dir, 'none.safetensors'), '--into', RELEASE, '--out', out);
    expect(broken.stderr).toMatch(/is not a file/);
    expect((await cli('export', '--help')).stdout).toContain('--dtype <value>');
    expect((await cli('import', '--help')).stdout).toContain('--into <value>');
    expect((await cli('--help')).stdout).toMatch(/attnzoo export .*\n\s+attnzoo import /);
  });
});
