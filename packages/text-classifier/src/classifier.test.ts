import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aboveChance } from '@attnzoo/fixtures';
import { registerPreset, unregisterPreset } from '@attnzoo/hub';
import { save } from '@attnzoo/hub/node';
import { selectBackend } from '@attnzoo/runtime';
import { type SentencePieceTokenizer, TokenizerError } from '@attnzoo/tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELEASE_VARIANTS, TextClassifier } from './node';
import { imdb, smallTokenizer, spread } from './testing/fixtures';

let tok: SentencePieceTokenizer;
let other: SentencePieceTokenizer;
const dirs: string[] = [];
const tiny = {
  maxLength: 32,
  width: 16,
  numHeads: 2,
  feedForwardWidth: 32,
  numBlocks: 1,
  classNames: ['negative', 'positive'],
};

beforeAll(async () => {
  await selectBackend(tf, { backend: 'wasm', log: () => {} });
  const a = await smallTokenizer(500);
  const b = await smallTokenizer(400, 300);
  tok = a.tokenizer;
  other = b.tokenizer;
  dirs.push(a.dir, b.dir);
});
afterAll(() => {
  tok?.dispose();
  other?.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('TextClassifier', () => {
  it.each(
    RELEASE_VARIANTS,
  )('%s: probabilities for empty, very long and non-Latin texts, with flags', async (variant) => {
    const clf = await TextClassifier.create({ ...tiny, variant }, tok);
    const long = (await imdb()).test.texts.slice(0, 20).join(' ');
    const preds = await clf.predict(['', long, '日本語のレビュー。とても良い映画でした', 'A fine film.'], {
      batchSize: 3,
    });
    expect(preds.length).toBe(4);
    for (const p of preds) {
      expect(p.probabilities.length).toBe(2);
      expect(p.probabilities[0] + p.probabilities[1]).toBeCloseTo(1, 5);
      expect(p.label).toBe(['negative', 'positive'][p.index]);
      expect(Number.isFinite(p.probability)).toBe(true);
    }
    expect(preds[0].empty).toBe(true);
    expect(preds[1].truncated).toBe(true);
    expect(preds[1].tokens).toBeGreaterThan(1000);
    expect(preds[2].empty).toBe(false);
    expect(preds[3].truncated).toBe(false);
    // Padding is masked: the same text gives the same prediction whatever else is in the batch.
    const alone = await clf.predict('A fine film.');
    expect(alone[0].probabilities[1]).toBeCloseTo(preds[3].probabilities[1], 5);
    if (variant === 'super') expect(clf.parameters().attention).toBeGreaterThan(32 * 32);
    clf.dispose();
  });

  it('learns IMDB sentiment a little on CPU (tiny model, up to 1024 reviews, 4 epochs): above chance on held-out reviews', async () => {
    const { train, test } = await imdb();
    const clf = await TextClassifier.create(
      { ...tiny, maxLength: 64, variant: 'efficient', dropout: 0 },
      tok,
    );
    const r = await clf.fit({ train: spread(train, 1024), epochs: 4, batchSize: 32, lr: 3e-3 });
    expect(r.history.length).toBe(4);
    const e = await clf.evaluate(test, { limit: 300 });
    expect(e.count).toBe(Math.min(300, test.texts.length));
    // Two standard errors above chance on that many reviews (0.558 on 300).
    expect(e.accuracy).toBeGreaterThan(aboveChance(e.count));
    clf.dispose();
  });

  it('refuses a tokenizer that does not match the model, with a clear error', async () => {
    const clf = await TextClassifier.create({ ...tiny, variant: 'sdpa' }, tok);
    expect(() => new TextClassifier(clf.model, clf.config, other)).toThrow(
      /tokenizer has 400 pieces but the model embeds 500/,
    );
    expect(() => new TextClassifier(clf.model, clf.config, other)).toThrow(TokenizerError);
    const dir = mkdtempSync(join(tmpdir(), 'attnzoo-textcls-preset-'));
    dirs.push(dir);
    await save(
      clf.model,
      join(dir, 'p'),
      { name: 'tiny' },
      { config: clf.presetConfig(), tokenizer: tok.bytes, float16: true },
    );
    // Same vocabulary size, different model: caught by the tokenizer's sha256 in the config.
    const b = await smallTokenizer(500, 300);
    dirs.push(b.dir);
    await expect(TextClassifier.fromPretrained(join(dir, 'p'), { tokenizer: b.tokenizer })).rejects.toThrow(
      /not the one its embeddings were trained with/,
    );
    b.tokenizer.dispose();
    clf.dispose();
  });

  it('round-trips through a preset folder (float16 weights, tokenizer.model inside) with the same predictions', async () => {
    const clf = await TextClassifier.create({ ...tiny, variant: 'super' }, tok);
    const dir = mkdtempSync(join(tmpdir(), 'attnzoo-textcls-preset-'));
    dirs.push(dir);
    await save(
      clf.model,
      join(dir, 'p'),
      { name: 'tiny-super' },
      { config: clf.presetConfig(), tokenizer: tok.bytes, float16: true },
    );
    const back = await TextClassifier.fromPretrained(join(dir, 'p'));
    const texts = ['Awful, boring, a waste of time.', 'One of the best films of the decade.'];
    const [a, b] = await Promise.all([clf.predict(texts), back.predict(texts)]);
    for (let i = 0; i < 2; i++) expect(b[i].probabilities[1]).toBeCloseTo(a[i].probabilities[1], 2);
    expect(back.config.variant).toBe('super');
    expect(back.tokenizer.vocabularySize).toBe(500);
    back.dispose();
    // A preset without its tokenizer is refused.
    await save(clf.model, join(dir, 'q'), { name: 'no-tok' }, { config: clf.presetConfig() });
    await expect(TextClassifier.fromPretrained(join(dir, 'q'))).rejects.toThrow(/has no tokenizer.model/);
    // A damaged tokenizer.model is named, and nothing of the model is left behind.
    await save(
      clf.model,
      join(dir, 'r'),
      { name: 'bad-tok' },
      { config: clf.presetConfig(), tokenizer: tok.bytes.slice(0, 40) },
    );
    const before = tf.memory().numTensors;
    await expect(TextClassifier.fromPretrained(join(dir, 'r'))).rejects.toThrow(
      /tokenizer\.model of .*r: not a SentencePiece model/,
    );
    expect(tf.memory().numTensors).toBe(before);
    clf.dispose();
  });

  it('a release name that is not installed says which package to install', async () => {
    // The real releases are workspace packages here, so a registered name whose package is absent.
    registerPreset({ name: 'textcls-test-missing', package: '@attnzoo/model-textcls-test-missing' });
    try {
      await expect(TextClassifier.fromPretrained('textcls-test-missing')).rejects.toThrow(
        /npm install @attnzoo\/model-textcls-test-missing/,
      );
    } finally {
      unregisterPreset('textcls-test-missing');
    }
  });

  it('withTokenizer re-initialises the token embedding for the new vocabulary and keeps every other weight', async () => {
    const clf = await TextClassifier.create({ ...tiny, variant: 'optimised' }, tok);
    // Weights unlike a fresh model of the same seed, as after training.
    for (const layer of clf.model.layers)
      layer.setWeights(layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 1, 'float32', 7 + i)));
    const swapped = await clf.withTokenizer(other);
    expect(swapped.config.vocabularySize).toBe(other.vocabularySize);
    expect(swapped.tokenizer).toBe(other);
    const before = clf.model.getLayer('embedding').getWeights();
    const after = swapped.model.getLayer('embedding').getWeights();
    expect(after[0].shape).toEqual([other.vocabularySize, tiny.width]);
    // The position embedding is kept; the token embedding is new.
    expect(Array.from(after[1].dataSync())).toEqual(Array.from(before[1].dataSync()));
    let compared = 0;
    for (const layer of clf.model.layers) {
      if (layer.name === 'embedding') continue;
      const a = layer.getWeights();
      const b = swapped.model.getLayer(layer.name).getWeights();
      expect(b.length).toBe(a.length);
      for (let i = 0; i < a.length; i++) {
        expect(Array.from(b[i].dataSync())).toEqual(Array.from(a[i].dataSync()));
        compared++;
      }
    }
    // The encoder block's and the head's weights, at least.
    expect(compared).toBeGreaterThan(4);
    const [p] = await swapped.predict('a fine film');
    expect(p.probabilities.length).toBe(2);
    clf.dispose();
    swapped.dispose();
  });

  it('withNewHead keeps the encoder and changes the label set', async () => {
    const clf = await TextClassifier.create({ ...tiny, variant: 'optimised' }, tok);
    const three = clf.withNewHead(3, ['a', 'b', 'c']);
    const [p] = await three.predict('text');
    expect(p.probabilities.length).toBe(3);
    const { test } = await imdb();
    await expect(three.evaluate(spread(test, 10))).rejects.toThrow(
      /2 classes but this classifier predicts 3/,
    );
    three.dispose();
  });
});
