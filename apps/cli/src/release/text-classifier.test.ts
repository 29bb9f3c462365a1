import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AMAZON as AMAZON_FILE, POLARITY, testData } from '@attnzoo/fixtures';
import { selectBackend } from '@attnzoo/runtime';
import {
  DEFAULT_PREPROCESSOR,
  datasetOfFile,
  decodePretokenized,
  encodePretokenized,
  getRecipe,
  loadTrainingData,
  TextClassifier,
  TextPreprocessor,
} from '@attnzoo/text-classifier/node';
import type { SentencePieceTokenizer } from '@attnzoo/tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The package's test fixtures (small IMDB tokenizer, evenly spread splits): test code, not published.
import {
  AMAZON,
  IMDB,
  imdb,
  smallTokenizer,
  spread,
} from '../../../../packages/text-classifier/src/testing/fixtures';
import { presetDirOf, pretokenize, trainRelease, unpackRelease } from './text-classifier';

let tok: SentencePieceTokenizer;
let modelPath: string;
let dir: string;
let binPath: string;
const pre = { ...DEFAULT_PREPROCESSOR, maxLength: 32 };

beforeAll(async () => {
  await selectBackend(tf, { backend: 'wasm', log: () => {} });
  ({ tokenizer: tok, modelPath, dir } = await smallTokenizer(500));
  const { train, test } = await imdb();
  const p = new TextPreprocessor(tok, pre);
  const enc = (s: typeof train) => {
    const b = p.encode(s.texts);
    return { ids: b.ids, labels: s.labels, count: b.count, maxLength: 32 };
  };
  const [tr, rest] = [spread(train, 384), spread(test, 256)];
  const val = {
    ...rest,
    texts: rest.texts.filter((_, i) => i % 2 === 0),
    labels: rest.labels.filter((_, i) => i % 2 === 0),
  };
  const te = {
    ...rest,
    texts: rest.texts.filter((_, i) => i % 2 === 1),
    labels: rest.labels.filter((_, i) => i % 2 === 1),
  };
  const bytes = encodePretokenized(
    {
      dataset: 'imdb',
      splitNote: 'test slice',
      maxLength: 32,
      vocabularySize: tok.vocabularySize,
      padId: tok.padId,
      classNames: ['negative', 'positive'],
      preprocessor: pre,
      tokenizerSha256: 'unused-here',
    },
    { train: enc(tr), validation: enc(val), test: enc(te) },
    tok.bytes,
  );
  binPath = join(dir, 'imdb-32.bin');
  writeFileSync(binPath, bytes);
});
afterAll(() => {
  tok?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('pretokenized files', () => {
  it('round-trip ids, labels and the tokenizer bytes; a truncated file is an error', () => {
    const bytes = new Uint8Array(readFileSync(binPath));
    const p = decodePretokenized(bytes);
    expect(p.header.splits.map((s) => [s.name, s.count])).toEqual([
      ['train', 384],
      ['validation', 128],
      ['test', 128],
    ]);
    expect(Array.from(p.tokenizer)).toEqual(Array.from(tok.bytes));
    expect(p.splits.train.ids.length).toBe(384 * 32);
    expect(Math.max(...p.splits.train.ids)).toBeLessThan(500);
    expect(new Set(p.splits.test.labels).size).toBe(2);
    expect(() => decodePretokenized(bytes.subarray(0, bytes.length - 10))).toThrow(/truncated/);
    expect(() => decodePretokenized(new Uint8Array(100))).toThrow(/not a pretokenized file/);
  });

  it('pretokenize encodes Amazon multi-domain and adds the polarity test lines as a split', async () => {
    const out = join(dir, 'amazon.bin.gz');
    const r = await pretokenize({ data: AMAZON, tokenizer: modelPath, maxLength: 16, out });
    // 8,000 reviews (6,400 / 800 / 800) and 6,459 polarity lines in the full archives
    const reviews = Object.values(testData.facts(AMAZON_FILE).counts).reduce(
      (n, c) => n + c.negative + c.positive,
      0,
    );
    const tenth = Math.round(reviews / 10);
    expect(r.header.splits.map((s) => [s.name, s.count])).toEqual([
      ['train', reviews - 2 * tenth],
      ['validation', tenth],
      ['test', tenth],
      ['polarity-test', testData.facts(POLARITY).lines],
    ]);
    const d = await loadTrainingData(out, { preprocessor: { ...DEFAULT_PREPROCESSOR, maxLength: 16 } });
    expect(d.dataset).toBe('amazon-multidomain');
    await expect(
      loadTrainingData(out, { preprocessor: { ...DEFAULT_PREPROCESSOR, maxLength: 256 } }),
    ).rejects.toThrow(/pre-tokenized for maxLength 16/);
  });

  it('names the data set of a file or says what it expected', () => {
    expect(datasetOfFile(IMDB)).toBe('imdb');
    expect(datasetOfFile(AMAZON)).toBe('amazon-multidomain');
    expect(() => datasetOfFile('/tmp/reviews.csv')).toThrow(/cannot tell the data set/);
  });
});

describe('train-release end to end (tiny recipe)', () => {
  it('trains, evaluates, writes one release tar that unpacks into a loadable model-release package', async () => {
    const base = getRecipe('textcls-imdb-super');
    const recipe = {
      ...base,
      model: { ...base.model, maxLength: 32, width: 16, numHeads: 2, feedForwardWidth: 32 },
      training: { ...base.training, epochs: 2, batchSize: 32, peakLr: 3e-3 },
    };
    const out = join(dir, 'out', 'textcls-imdb-super');
    const lines: string[] = [];
    const s = await trainRelease({
      preset: 'textcls-imdb-super',
      recipe,
      data: binPath,
      out,
      backend: 'wasm',
      hardware: 'test',
      command: 'vitest',
      log: (l) => lines.push(l),
    });
    expect(s.tar).toBe(`${out}.tar`);
    expect(existsSync(s.tar)).toBe(true);
    expect(s.metrics[0]).toMatchObject({ name: 'accuracy', split: 'test', count: 128 });
    expect(s.epochs).toBeGreaterThanOrEqual(1);
    expect(lines.some((l) => l.startsWith('epoch 1:'))).toBe(true);

    const models = join(dir, 'models');
    const folder = await unpackRelease(s.tar, models);
    expect(folder).toBe(join(models, 'textcls-imdb-super'));
    const pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('@attnzoo/model-textcls-imdb-super');
    expect(pkg.peerDependencies['@attnzoo/text-classifier']).toMatch(/^\^/);
    const card = readFileSync(join(folder, 'README.md'), 'utf8');
    expect(card).toContain('vitest');
    expect(card).toContain(String(s.metrics[0].value.toFixed(4)).replace(/0+$/, ''));
    await expect(unpackRelease(s.tar, models)).rejects.toThrow(/exists/);

    const clf = await TextClassifier.fromPretrained(presetDirOf(folder));
    expect(clf.config.variant).toBe('super');
    const d = await loadTrainingData(binPath, { preprocessor: clf.config.preprocessor });
    const e = await clf.evaluate(d.splits.test);
    expect(e.accuracy).toBeCloseTo(s.metrics[0].value, 1); // float16 weights: close, not equal
    const [p] = await clf.predict('');
    expect(p.empty).toBe(true);
    clf.dispose();
  });
});
