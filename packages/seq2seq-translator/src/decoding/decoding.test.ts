import { ATTENTION_VARIANTS, type AttentionVariant } from '@attnzoo/attention';
import { selectBackend } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTranslator, type TranslatorModels } from '../backbone';
import type { TranslatorConfig } from '../config';
import { beamSearchDecode, greedyDecode } from './search';
import { CachedStepDecoder, FullStepDecoder } from './step-decoder';

const tiny = (variant: AttentionVariant): TranslatorConfig => ({
  variant,
  vocabularySize: 23,
  width: 16,
  numHeads: 2,
  feedForwardWidth: 24,
  encoderLayers: 1,
  decoderLayers: 2,
  sourceMaxLength: 7,
  targetMaxLength: 9,
  dropout: 0,
  padId: 0,
  unkId: 1,
  bosId: 2,
  eosId: 3,
  seed: 7,
});

/** Random weights everywhere (Super's Wa included, which starts as the identity) and larger biases. */
function randomise(models: TranslatorModels, seed: number): void {
  let k = seed;
  for (const w of models.model.weights) {
    const scale = w.originalName.endsWith('mixing_kernel') ? 0.5 : 0.4;
    w.write(tf.randomNormal(w.shape as number[], 0, scale, 'float32', k++));
  }
}

const source = () =>
  tf.tensor2d(
    [
      [5, 9, 12, 3, 0, 0, 0],
      [4, 4, 17, 8, 21, 6, 3],
      [7, 3, 0, 0, 0, 0, 0],
    ],
    [3, 7],
    'int32',
  );

// Numerical tests run on cpu, wasm and webgpu (Mesa's software adapter), as in @attnzoo/attention.
const BACKENDS = (process.env.ATTNZOO_TEST_BACKENDS ?? 'cpu,wasm,webgpu').split(',').map((s) => s.trim());
const useBackend = (backend: string) =>
  selectBackend(tf, {
    backend,
    webgpu: { adapter: (process.env.ATTNZOO_WEBGPU_ADAPTER as 'hardware' | 'software') ?? 'software' },
    log: () => {},
  });

describe.each(BACKENDS)('incremental decoding on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(
    ATTENTION_VARIANTS,
  )('%s: cached step logits equal full recomputation at every position', async (variant) => {
    const config = tiny(variant);
    const models = buildTranslator(config);
    randomise(models, 11);
    const src = source();
    const encoded = models.encoder.apply(src) as tf.Tensor3D;
    const mask = tf.cast(tf.notEqual(src, 0), 'float32') as tf.Tensor2D;
    const cached = new CachedStepDecoder(models, config, encoded, mask);
    const full = new FullStepDecoder(models, config, encoded, src);
    const prefix = [
      [2, 5, 6, 7, 8, 9, 10, 11, 12],
      [2, 13, 14, 15, 16, 3, 3, 3, 3],
      [2, 20, 19, 18, 17, 16, 15, 14, 13],
    ];
    const before = tf.memory().numTensors;
    for (let t = 0; t < config.targetMaxLength; t++) {
      const tokens = Int32Array.from(prefix.map((p) => p[t]));
      const a = cached.step(tokens);
      const b = full.step(tokens);
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
      expect((await d.data())[0]).toBeLessThan(backend === 'webgpu' ? 5e-4 : 1e-4);
      tf.dispose([a, b, d]);
    }
    // The whole model agrees with the step decoders too (teacher forcing over the same prefix).
    const target = tf.tensor2d(prefix, [3, 9], 'int32');
    const logits = models.model.apply([src, target]) as tf.Tensor3D;
    expect(logits.shape).toEqual([3, 9, 23]);
    tf.dispose([logits, target]);
    expect(() => cached.step(new Int32Array(3))).toThrow(/9 positions/);
    cached.dispose();
    full.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  });

  it.each(
    ATTENTION_VARIANTS,
  )('%s: greedy and beam search give the same tokens with and without the cache', async (variant) => {
    const config = tiny(variant);
    const models = buildTranslator(config);
    randomise(models, 3);
    const src = source();
    const g1 = await greedyDecode(models, config, src, { cache: 'kv' });
    const g2 = await greedyDecode(models, config, src, { cache: 'full' });
    expect(g1.tokens).toEqual(g2.tokens);
    const b1 = await beamSearchDecode(models, config, src, { beamWidth: 3, cache: 'kv' });
    const b2 = await beamSearchDecode(models, config, src, { beamWidth: 3, cache: 'full' });
    expect(b1.tokens).toEqual(b2.tokens);
    for (const [i, s] of b1.scores.entries()) expect(Math.abs(s - b2.scores[i])).toBeLessThan(1e-3);
    // Beam width 1 is greedy search.
    const b0 = await beamSearchDecode(models, config, src, { beamWidth: 1, lengthPenalty: 0 });
    expect(b0.tokens).toEqual(g1.tokens);
    // Beam search finds a sequence at least as likely as greedy (length penalty off).
    const b4 = await beamSearchDecode(models, config, src, { beamWidth: 4, lengthPenalty: 0 });
    b4.scores.forEach((s, i) => {
      if (b4.finished[i] && g1.finished[i]) expect(s).toBeGreaterThanOrEqual(g1.scores[i] - 1e-4);
    });
    for (const t of [...g1.tokens, ...b1.tokens])
      expect(t.length).toBeLessThanOrEqual(config.targetMaxLength);
  });
});

describe('decoding limits', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it.each(
    ATTENTION_VARIANTS,
  )('%s translator is causal: a later target token changes no earlier logits', async (variant) => {
    const config = tiny(variant);
    const models = buildTranslator(config);
    randomise(models, 9);
    const run = async (row: number[]) =>
      (await (
        models.model.apply([source(), tf.tensor2d([row, row, row], [3, 6], 'int32')]) as tf.Tensor
      ).array()) as number[][][];
    const a = await run([2, 5, 6, 7, 8, 9]);
    const b = await run([2, 5, 6, 7, 20, 21]);
    for (let t = 0; t < 4; t++)
      for (let v = 0; v < 23; v++) expect(Math.abs(a[0][t][v] - b[0][t][v])).toBeLessThan(1e-5);
    expect(Math.max(...a[0][4].map((x, v) => Math.abs(x - b[0][4][v])))).toBeGreaterThan(1e-4);
  });

  it('respects maxLength', async () => {
    const config = tiny('sdpa');
    const models = buildTranslator(config);
    randomise(models, 5);
    const out = await greedyDecode(models, config, source(), { maxLength: 2 });
    expect(out.steps).toBeLessThanOrEqual(2);
    for (const t of out.tokens) expect(t.length).toBeLessThanOrEqual(2);
    await expect(greedyDecode(models, config, source(), { maxLength: 0 })).rejects.toThrow(/maxLength/);
  });
});
