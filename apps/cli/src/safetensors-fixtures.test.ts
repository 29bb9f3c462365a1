/**
 * The safetensors fixtures of python/tests/fixtures/safetensors: tiny seeded models of every family
 * and attention variant, exported with `exportSafetensors`, with fixed inputs and the model's
 * float32 outputs on them, so that the PyTorch twin can check that it loads the same weights and
 * computes the same logits.
 *
 *   ATTNZOO_WRITE_SAFETENSORS_FIXTURES=1 npx vitest run src/safetensors-fixtures.test.ts   (in apps/cli)
 *
 * writes them; without the variable the test rebuilds every model and checks the committed files
 * still hold the same weights (byte for byte) and outputs.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ATTENTION_VARIANTS, type AttentionVariant } from '@attnzoo/attention';
import { decodeSafetensors, exportSafetensors, PRESET_FORMAT_VERSION, weightNaming } from '@attnzoo/hub';
import { selectBackend } from '@attnzoo/runtime';
import { buildTranslator, PRESET_TASK_CLASS, type TranslatorConfig } from '@attnzoo/seq2seq-translator';
import { buildTextClassifierModel, TextClassifier, textClassifierConfig } from '@attnzoo/text-classifier';
import { ImageClassifier } from '@attnzoo/vit';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const DIR = join(root, 'python/tests/fixtures/safetensors');
const WRITE = process.env.ATTNZOO_WRITE_SAFETENSORS_FIXTURES === '1';

interface Input {
  name: string;
  dtype: 'float32' | 'int32';
  shape: number[];
  data: number[];
}

interface Built {
  model: LayersModel;
  config: Record<string, unknown>;
  inputs: Input[];
  dispose?: () => void;
}

/** Seeded values in [-1, 1), rounded to 1/64 so that they read the same in any language. */
function seeded(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return ((s >>> 8) % 128) / 64 - 1;
  });
}

const FAMILIES: Record<string, (variant: AttentionVariant) => Built> = {
  vit: (variant) => {
    const classifier = ImageClassifier.create({
      backbone: {
        imageSize: 8,
        channels: 3,
        patchSize: 4,
        width: 8,
        depth: 1,
        numHeads: 2,
        feedForwardWidth: 16,
        variant,
        pooling: 'class',
        dropout: 0,
        attentionDropout: 0,
        seed: 3,
      },
      preprocessor: { imageSize: 8, channels: 3 },
      numClasses: 3,
    });
    return {
      model: classifier.model,
      config: { ...classifier.presetConfig(), formatVersion: PRESET_FORMAT_VERSION },
      // the model's input: images after the preprocessor (rescaled and normalised), NHWC
      inputs: [{ name: 'images', dtype: 'float32', shape: [2, 8, 8, 3], data: seeded(2 * 8 * 8 * 3, 7) }],
    };
  },
  'text-classifier': (variant) => {
    const config = textClassifierConfig({
      variant,
      vocabularySize: 50,
      maxLength: 6,
      width: 8,
      numHeads: 2,
      feedForwardWidth: 16,
      numBlocks: 1,
      numClasses: 3,
      dropout: 0,
      attentionDropout: 0,
      padId: 0,
      seed: 5,
    });
    return {
      model: buildTextClassifierModel(config),
      config: {
        task: { className: TextClassifier.className, config: { ...config } },
        formatVersion: PRESET_FORMAT_VERSION,
      },
      inputs: [
        {
          name: 'token_ids',
          dtype: 'int32',
          shape: [2, 6],
          data: [5, 9, 2, 7, 0, 0, 1, 3, 3, 48, 11, 4],
        },
      ],
    };
  },
  translator: (variant) => {
    const config: TranslatorConfig = {
      variant,
      vocabularySize: 40,
      width: 8,
      numHeads: 2,
      feedForwardWidth: 16,
      encoderLayers: 1,
      decoderLayers: 1,
      sourceMaxLength: 6,
      targetMaxLength: 5,
      dropout: 0,
      attentionDropout: 0,
      activation: 'relu',
      padId: 0,
      bosId: 1,
      eosId: 2,
      unkId: 3,
      seed: 9,
    };
    const models = buildTranslator(config);
    return {
      model: models.model,
      config: {
        task: { className: PRESET_TASK_CLASS, config: { ...config } },
        formatVersion: PRESET_FORMAT_VERSION,
      },
      inputs: [
        // source ids: tokens + EOS, padded
        { name: 'source_ids', dtype: 'int32', shape: [2, 6], data: [7, 12, 39, 2, 0, 0, 4, 5, 6, 8, 9, 2] },
        // decoder input ids: BOS + tokens, padded
        { name: 'target_ids', dtype: 'int32', shape: [2, 5], data: [1, 20, 21, 0, 0, 1, 33, 34, 35, 36] },
      ],
    };
  },
};

/** FNV-1a of a weight name: its values depend on the name only, not on the order models are built in. */
function nameSeed(name: string): number {
  let h = 0x811c9dc5;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h % 2 ** 31;
}

/**
 * Every weight set to seeded multiples of 1/128 in [-0.5, 0.5) (exact in float32 and float16):
 * not all initialisers take a seed, and layer-norm gains of one and biases of zero would hide a
 * mix-up of those weights in the twin.
 */
function setSeededWeights(model: LayersModel): void {
  const values = model.weights.map((w) =>
    tf.tensor(
      seeded(
        w.shape.reduce((a: number, b) => a * (b ?? 1), 1),
        nameSeed(w.originalName),
      ).map((v) => v / 2),
      w.shape as number[],
    ),
  );
  model.setWeights(values);
  tf.dispose(values);
}

async function run(built: Built): Promise<{ name: string; shape: number[]; data: number[] }[]> {
  const xs = built.inputs.map((i) => tf.tensor(i.data, i.shape, i.dtype));
  const ys = built.model.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor | tf.Tensor[];
  const list = Array.isArray(ys) ? ys : [ys];
  const out = await Promise.all(
    list.map(async (y) => ({ name: 'logits', shape: y.shape, data: Array.from(await y.data()) })),
  );
  tf.dispose([...xs, ...list]);
  return out;
}

beforeAll(async () => {
  await selectBackend(tf, { backend: 'cpu', log: () => {} });
});

describe('safetensors fixtures for the PyTorch twin (python/tests/fixtures/safetensors)', () => {
  for (const family of Object.keys(FAMILIES)) {
    it(`${family}: 4 variants, ${WRITE ? 'written' : 'the committed files still match'}`, async () => {
      for (const variant of ATTENTION_VARIANTS) {
        const built = FAMILIES[family](variant);
        setSeededWeights(built.model);
        const name = `${family}-${variant}`;
        const bytes = exportSafetensors(built.model, {
          preset: `fixture-${name}`,
          config: built.config,
          metadata: { 'attnzoo.family': family, 'attnzoo.variant': variant },
        });
        const outputs = await run(built);
        const fixture = {
          family,
          variant,
          safetensors: `${name}.safetensors`,
          description:
            `A seeded ${family} (${variant} attention) exported by exportSafetensors; ` +
            'inputs are the model inputs (ViT: preprocessed NHWC images; ids: int32), outputs its float32 logits on them.',
          inputs: built.inputs,
          outputs,
          tolerance: 1e-5,
        };
        const safetensorsPath = join(DIR, `${name}.safetensors`);
        const jsonPath = join(DIR, `${name}.json`);
        if (WRITE) {
          await mkdir(DIR, { recursive: true });
          await writeFile(safetensorsPath, bytes);
          await writeFile(jsonPath, `${JSON.stringify(fixture)}\n`);
        } else if (existsSync(jsonPath)) {
          const committed = new Uint8Array(await readFile(safetensorsPath));
          expect(Buffer.compare(Buffer.from(committed), Buffer.from(bytes)), `${name}.safetensors`).toBe(0);
          const json = JSON.parse(await readFile(jsonPath, 'utf8'));
          expect(json.inputs).toEqual(built.inputs);
          for (const [k, o] of outputs.entries()) {
            expect(json.outputs[k].shape).toEqual(o.shape);
            const off = o.data.filter((v, i) => Math.abs(v - json.outputs[k].data[i]) > 1e-6).length;
            expect(off, `${name} outputs`).toBe(0);
          }
        }
        // The SDPA ViT also in Hugging Face's names and layouts, as `attnzoo export --names hf` writes
        // it (a folder): python/tests/test_hf_names.py runs it the way transformers' ViT computes.
        if (family === 'vit' && variant === 'sdpa') {
          const naming = weightNaming(built.config as never, 'hf');
          const files: Record<string, string | Uint8Array> = {
            'model.safetensors': exportSafetensors(built.model, { naming }),
            ...naming.companionFiles?.(),
          };
          const hfDir = join(DIR, 'hf', name);
          for (const [file, content] of Object.entries(files)) {
            const bytesOf = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
            if (WRITE) {
              await mkdir(hfDir, { recursive: true });
              await writeFile(join(hfDir, file), bytesOf);
            } else if (existsSync(jsonPath)) {
              const committed = await readFile(join(hfDir, file));
              expect(Buffer.compare(committed, bytesOf), `hf/${name}/${file}`).toBe(0);
            }
          }
        }
        // the file holds every weight under its model.json name, and its config rebuilds the model
        const decoded = decodeSafetensors(bytes, { source: name });
        expect(decoded.tensors.map((t) => t.name).sort()).toEqual(
          built.model.weights.map((w) => w.originalName).sort(),
        );
        expect(JSON.parse(decoded.metadata['attnzoo.config'])).toEqual(
          JSON.parse(JSON.stringify(built.config)),
        );
        built.model.dispose();
      }
    });
  }
});
