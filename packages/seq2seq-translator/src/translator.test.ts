import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ATTENTION_VARIANTS } from '@attnzoo/attention';
import { save } from '@attnzoo/hub/node';
import { selectBackend } from '@attnzoo/runtime';
import type { SentencePieceTokenizer } from '@attnzoo/tokenizer';
import { type Batch, constantLr, Rng, sequenceBatches } from '@attnzoo/train';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodePairs, type ParallelCorpus } from './data';
import { fitTranslator } from './fit';
import { corpusBleu } from './metrics/bleu';
import { loadTranslator } from './node';
import { ankiPairs, tinyTokenizer } from './testing/fixtures';
import { Translator } from './translator';

const ARCH = {
  variant: 'super' as const,
  width: 32,
  numHeads: 2,
  feedForwardWidth: 64,
  encoderLayers: 1,
  decoderLayers: 1,
  sourceMaxLength: 12,
  targetMaxLength: 14,
  dropout: 0,
  seed: 3,
};

let tokenizer: SentencePieceTokenizer;
let pairs: ParallelCorpus;

beforeAll(async () => {
  await selectBackend(tf, { backend: 'cpu', log: () => {} });
  pairs = await ankiPairs(3000);
  tokenizer = await tinyTokenizer(pairs);
});

describe('Translator.withTokenizer', () => {
  it('re-initialises the token embedding and the output layer for the new vocabulary and keeps every other weight', async () => {
    const t = Translator.create(tokenizer, ARCH);
    // Weights unlike a fresh model of the same seed, as after training.
    for (const layer of t.models.model.layers)
      layer.setWeights(layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 1, 'float32', 11 + i)));
    const other = await tinyTokenizer(
      { source: pairs.source.slice(0, 500), target: pairs.target.slice(0, 500) },
      200,
    );
    const swapped = t.withTokenizer(other);
    expect(swapped.config.vocabularySize).toBe(200);
    let kept = 0;
    for (const layer of t.models.model.layers) {
      const a = layer.getWeights();
      const b = swapped.models.model.getLayer(layer.name).getWeights();
      for (let i = 0; i < a.length; i++) {
        const same = a[i].shape.join() === b[i].shape.join();
        if (same) {
          expect(Array.from(b[i].dataSync()), `${layer.name} ${i}`).toEqual(Array.from(a[i].dataSync()));
          kept++;
        } else expect(b[i].shape).toContain(200);
      }
    }
    expect(kept).toBeGreaterThan(10);
    const r = await swapped.translate(['hello']);
    expect(r.translations.length).toBe(1);
    t.dispose();
    swapped.dispose();
    other.dispose();
  });
});

describe('Translator input handling', () => {
  it('empty input gives empty output without running the model; blank too', async () => {
    const t = Translator.create(tokenizer, ARCH);
    const r = await t.translate(['', '   ']);
    expect(r.translations).toEqual(['', '']);
    expect(r.outputTokens).toBe(0);
    expect((await t.translate([])).translations).toEqual([]);
  });

  it('input longer than the encoder takes is truncated and marked, or an error on request', async () => {
    const t = Translator.create(tokenizer, ARCH);
    const long = 'I think that we should go to the station together tomorrow morning before it rains.';
    expect(tokenizer.encode(long).length).toBeGreaterThan(ARCH.sourceMaxLength);
    const r = await t.translate([long, 'Hi.'], { maxLength: 4 });
    expect(r.details[0].truncated).toBe(true);
    expect(r.details[1].truncated).toBe(false);
    expect(typeof r.translations[0]).toBe('string');
    await expect(t.translate([long], { onLongInput: 'error' })).rejects.toThrow(
      /at most 11 \(\+ end of sentence\)/,
    );
  });

  it('unknown characters reach the model as the unk id and are counted', async () => {
    const t = Translator.create(tokenizer, ARCH);
    const r = await t.translate(['我 ☃ Tom.'], { maxLength: 3 });
    expect(r.details[0].unknownTokens).toBeGreaterThan(0);
    expect(r.translations).toHaveLength(1);
    await expect(t.translate([42 as unknown as string])).rejects.toThrow(/expects strings/);
  });

  it('refuses a tokenizer that does not match the model', () => {
    const t = Translator.create(tokenizer, ARCH);
    expect(() => new Translator(t.models, { ...t.config, vocabularySize: 999 }, tokenizer)).toThrow(/pieces/);
  });
});

describe('training, translating and presets', () => {
  it('learns a handful of pairs through @attnzoo/train and round-trips through a preset', async () => {
    const few: ParallelCorpus = {
      source: ['Go.', 'Hi.', 'Run!', 'Stop!', 'Wait!', 'Hello!', 'I see.', 'Thanks.'],
      target: ['Ve.', 'Hola.', '¡Corre!', '¡Para!', '¡Espera!', '¡Hola!', 'Ya veo.', 'Gracias.'],
    };
    const t = Translator.create(tokenizer, { ...ARCH, width: 48, feedForwardWidth: 96 });
    const result = await fitTranslator(t, {
      train: few,
      epochs: 120,
      batchSize: 8,
      lr: 1e-2,
      warmupSteps: 5,
      labelSmoothing: 0,
      bleuSentences: 0,
      weightDecay: 0,
    });
    expect(result.history[result.history.length - 1].loss).toBeLessThan(result.history[0].loss / 10);
    const greedy = await t.translate(few.source);
    // Exact translations (corpus BLEU would be 0 here: these sentences have no 4-grams at all).
    expect(greedy.translations).toEqual(few.target);
    expect(corpusBleu(greedy.translations, [few.target]).score).toBe(0);
    const beam = await t.translate(few.source, { method: 'beam', beamWidth: 3 });
    expect(beam.translations).toEqual(greedy.translations);
    expect(greedy.tokensPerSecond).toBeGreaterThan(0);
    const evaluated = await t.evaluate(few.source, few.target);
    expect(evaluated.bleu.signature).toBe('nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.4.3');
    expect(evaluated.chrf.score).toBeGreaterThan(90);

    const dir = join(await mkdtemp(join(tmpdir(), 'attnzoo-s2s-preset-')), 'tiny');
    await save(
      t.models.model,
      dir,
      { name: 'tiny' },
      { config: t.presetConfig(), tokenizer: tokenizer.bytes },
    );
    const loaded = await loadTranslator(dir);
    expect(loaded.config).toEqual(t.config);
    expect((await loaded.translate(few.source)).translations).toEqual(greedy.translations);
    const viaClass = await Translator.fromPretrained(dir);
    expect((await viaClass.translate(['Hi.'])).translations).toEqual([greedy.translations[1]]);
  });

  it('a time budget that fits fewer epochs than asked still reaches the peak learning rate (warm-up within the first epoch)', async () => {
    const t = Translator.create(tokenizer, ARCH);
    const lrs: number[] = [];
    const few = { source: pairs.source.slice(0, 200), target: pairs.target.slice(0, 200) };
    const result = await fitTranslator(t, {
      train: few,
      epochs: 12, // the budget below fits one: 10 steps of 12 × 10 planned
      batchSize: 20,
      lr: 1e-3,
      timeBudgetSeconds: 1e-3,
      bleuSentences: 0,
      callbacks: [{ onBatchEnd: (l) => void lrs.push(l.lr) }],
    });
    expect(result.epochs).toBe(1);
    expect(lrs).toHaveLength(10);
    // Sized for 12 epochs the warm-up would be 12 steps and the first epoch would end at 10/12 of the peak.
    expect(Math.max(...lrs)).toBeCloseTo(1e-3, 6);
    t.dispose();
  });

  it('Translator.fit takes the task options every family takes: a schedule for lr, trainLimit', async () => {
    const t = Translator.create(tokenizer, ARCH);
    const lrs: number[] = [];
    const result = await t.fit({
      train: { source: pairs.source.slice(0, 200), target: pairs.target.slice(0, 200) },
      trainLimit: 60,
      epochs: 1,
      batchSize: 20,
      lr: constantLr(2e-3),
      bleuSentences: 0,
      callbacks: [{ onBatchEnd: (l) => void lrs.push(l.lr) }],
    });
    expect(result.epochs).toBe(1);
    expect(lrs).toEqual([2e-3, 2e-3, 2e-3]); // 60 pairs in batches of 20, at the schedule's rate
    expect(await t.predict(['Hi.', ''])).toEqual((await t.translate(['Hi.', ''])).translations);
    t.dispose();
  });
});

describe('training batches cut to their longest pair', () => {
  it.each(
    ATTENTION_VARIANTS,
  )('%s: logits of real positions equal those of batches padded to the maximum lengths', async (variant) => {
    const t = Translator.create(tokenizer, { ...ARCH, variant });
    // Super's mixing starts as the identity, which could not leak padding: make it dense.
    for (const w of t.models.model.weights)
      if (w.name.includes('mixing')) w.write(tf.randomNormal(w.shape as number[], 0, 0.5, 'float32', 9));
    const c = t.config;
    const sentences = pairs.source.slice(0, 6);
    const e = encodePairs(
      sentences.map((s) => tokenizer.encode(s)),
      pairs.target.slice(0, 6).map((s) => tokenizer.encode(s)),
      c,
      { sourceLength: c.sourceMaxLength, targetLength: c.targetMaxLength },
      { dropLong: true },
    );
    const batches = sequenceBatches(
      [
        { data: e.source, rows: e.count, columns: e.sourceLength },
        { data: e.decoderInput, rows: e.count, columns: e.targetLength },
      ],
      { data: e.labels, rows: e.count, columns: e.targetLength },
      { batchSize: e.count, padId: c.padId, labelsLike: 1, shuffle: false, bucketBatches: 1 },
    );
    const [batch] = [...(batches({ epoch: 0, rng: new Rng(1) }) as Iterable<Batch>)];
    const [source, target] = batch.xs as tf.Tensor2D[];
    expect(source.shape[1]).toBeLessThan(c.sourceMaxLength);
    expect(target.shape[1]).toBeLessThan(c.targetMaxLength);
    const full = [
      tf.tensor2d(e.source, [e.count, e.sourceLength], 'int32'),
      tf.tensor2d(e.decoderInput, [e.count, e.targetLength], 'int32'),
    ];
    const cutLogits = (t.models.model.predict([source, target]) as tf.Tensor3D).arraySync();
    const fullLogits = (t.models.model.predict(full) as tf.Tensor3D).arraySync();
    const labels = batch.ys.arraySync() as number[][];
    let compared = 0;
    for (const [b, row] of labels.entries())
      for (const [p, label] of row.entries()) {
        if (label === c.padId) continue;
        compared++;
        for (const [k, v] of fullLogits[b][p].entries()) expect(cutLogits[b][p][k]).toBeCloseTo(v, 4);
      }
    expect(compared).toBeGreaterThan(20);
    tf.dispose([source, target, batch.ys, ...full]);
    t.dispose();
  });
});
