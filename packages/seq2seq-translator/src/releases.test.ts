import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { splitParallel } from './data';
import { loadTranslator } from './node';
import { RELEASE_CHECK_SENTENCES, TRANSLATOR_PRESETS } from './presets';
import { ankiPairs, MODELS_DIR } from './testing/fixtures';

/** Every unpacked translator release in models/ (none until the device runs have been unpacked). */
export function releaseFolders(root = MODELS_DIR): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^translator-/.test(d.name))
    .map((d) => d.name)
    .sort();
}

// Simple sentences and a word the Spanish output must contain (any of the alternatives).
const SIMPLE: [string, RegExp][] = [
  ['Thank you.', /gracias/i],
  ['I love you.', /\b(amo|quiero)\b/i],
  ['Good morning.', /buen(os)? d[ií]as?/i],
  ['The cat is black.', /\bgato\b.*\bnegro\b/i],
  ['Where is the station?', /estaci[oó]n/i],
  ['I have two brothers.', /\bdos\b.*\bhermanos\b/i],
];

describe('release discovery', () => {
  it('lists only translator-* folders, each a model-release package of a known preset', () => {
    for (const name of releaseFolders()) {
      expect(Object.keys(TRANSLATOR_PRESETS)).toContain(name);
      const pkg = JSON.parse(readFileSync(join(MODELS_DIR, name, 'package.json'), 'utf8'));
      expect(pkg.name).toBe(`@attnzoo/model-${name}`);
      expect(existsSync(join(MODELS_DIR, name, 'preset', 'manifest.json'))).toBe(true);
    }
    expect(releaseFolders(join(MODELS_DIR, 'no-such-folder'))).toEqual([]);
  });
});

describe.each(releaseFolders())('release %s', (name) => {
  const dir = join(MODELS_DIR, name, 'preset');
  beforeAll(async () => {
    await selectBackend(tf, { backend: 'cpu', log: () => {} });
  });

  it('is at most 20 MB and loads with its tokenizer', async () => {
    const bytes = readdirSync(dir).reduce((n, f) => n + readFileSync(join(dir, f)).length, 0);
    expect(bytes).toBeLessThanOrEqual(20e6);
    const t = await loadTranslator(dir);
    expect(t.config.variant).toBe(TRANSLATOR_PRESETS[name].variant);
  });

  it('translates simple sentences to the expected words; empty, long and unknown input behave', async () => {
    const t = await loadTranslator(dir);
    const r = await t.translate(SIMPLE.map(([en]) => en));
    const hits = SIMPLE.filter(([, want], i) => want.test(r.translations[i]));
    expect(hits.length, JSON.stringify(r.translations)).toBeGreaterThanOrEqual(SIMPLE.length - 1);
    const edge = await t.translate(['', 'Tom '.repeat(60), '☃☃☃']);
    expect(edge.translations[0]).toBe('');
    expect(edge.details[1].truncated).toBe(true);
    expect(edge.details[2].unknownTokens).toBeGreaterThan(0);
  });

  it('keeps its recorded BLEU on the first test pairs (greedy, sacreBLEU 13a)', async () => {
    const metadata = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8'));
    const check = metadata.releaseCheck as { sentences: number; bleu: number };
    expect(check.sentences).toBe(RELEASE_CHECK_SENTENCES);
    const test = splitParallel(await ankiPairs()).test;
    const t = await loadTranslator(dir);
    const r = await t.evaluate(test.source.slice(0, check.sentences), test.target.slice(0, check.sentences), {
      batchSize: 125,
    });
    // Just under the value measured on the GPU (float32 there; float16 weights and CPU kernels here).
    expect(r.bleu.score).toBeGreaterThan(check.bleu - 1.5);
  });
});
