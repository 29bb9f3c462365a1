import { ANKI, testData } from '@attnzoo/fixtures';
import { describe, expect, it } from 'vitest';
import { encodePairs, sentenceKey, splitParallel } from './data';
import { readPretokenized, writePretokenized } from './pretokenized';
import { ankiPairs } from './testing/fixtures';

describe('Anki en-es split', () => {
  it('is deterministic and keeps every English sentence of the test split out of training', async () => {
    const facts = testData.facts(ANKI);
    const pairs = await ankiPairs();
    expect(pairs.source.length).toBe(facts.pairs); // 123,376 in the full file
    const a = splitParallel(pairs);
    const b = splitParallel(pairs);
    expect(a.test.source).toEqual(b.test.source);
    const n = pairs.source.length;
    expect(a.train.source.length + a.validation.source.length + a.test.source.length).toBe(n);
    // Each English sentence (with all its translations) goes to test with probability 0.05 and to
    // validation with 0.03, so the share of pairs lands within 4 standard errors of that:
    // sqrt(p(1-p) * sum of squared group sizes) / n (about 0.003 on the full file, 0.02 on the slice).
    const groups = new Map<string, number>();
    for (const s of pairs.source) groups.set(sentenceKey(s), (groups.get(sentenceKey(s)) ?? 0) + 1);
    let squares = 0;
    for (const g of groups.values()) squares += g * g;
    for (const [split, p] of [
      [a.test, 0.05],
      [a.validation, 0.03],
    ] as const) {
      const within = (4 * Math.sqrt(p * (1 - p) * squares)) / n;
      expect(Math.abs(split.source.length / n - p)).toBeLessThan(within);
    }
    const train = new Set(a.train.source.map(sentenceKey));
    expect(a.test.source.filter((s) => train.has(sentenceKey(s)))).toEqual([]);
    expect(a.validation.source.filter((s) => train.has(sentenceKey(s)))).toEqual([]);
    // Grouping works: the sentence with the most Spanish translations ("You can put it there.", 32
    // in the full file) has all of them in one split.
    const { english, translations } = facts.mostTranslated;
    expect(pairs.source.filter((s) => s === english)).toHaveLength(translations);
    const where = ['train', 'validation', 'test'].filter((k) =>
      a[k as 'train'].source.some((s) => s === english),
    );
    expect(where).toHaveLength(1);
    expect(a[where[0] as 'train'].source.filter((s) => s === english)).toHaveLength(translations);
  });

  it('rejects impossible fractions', () => {
    expect(() =>
      splitParallel({ source: [], target: [] }, { testFraction: 0.6, validationFraction: 0.5 }),
    ).toThrow(/sum to less than 1/);
  });
});

describe('teacher-forcing encoding', () => {
  const ids = { padId: 0, bosId: 2, eosId: 3 };
  it('source = tokens + EOS, decoder input = BOS + tokens, labels = tokens + EOS, padded', () => {
    const e = encodePairs([[5, 6]], [[7, 8, 9]], ids, { sourceLength: 4, targetLength: 5 });
    expect([...e.source]).toEqual([5, 6, 3, 0]);
    expect([...e.decoderInput]).toEqual([2, 7, 8, 9, 0]);
    expect([...e.labels]).toEqual([7, 8, 9, 3, 0]);
  });
  it('drops or truncates pairs that do not fit', () => {
    const src = [[5], [5, 6, 7, 8, 9]];
    const tgt = [[7], [7]];
    const dropped = encodePairs(src, tgt, ids, { sourceLength: 3, targetLength: 3 }, { dropLong: true });
    expect(dropped.count).toBe(1);
    expect(dropped.dropped).toBe(1);
    const cut = encodePairs(src, tgt, ids, { sourceLength: 3, targetLength: 3 });
    expect([...cut.source.slice(3)]).toEqual([5, 6, 3]);
  });
  it('round-trips through the pretokenized file', () => {
    const e = encodePairs([[5, 6], [9]], [[7, 8, 9, 10, 11], [4]], ids, { sourceLength: 4, targetLength: 4 });
    const file = writePretokenized({
      sourceLength: 4,
      targetLength: 4,
      vocabularySize: 20,
      ids: { ...ids, unkId: 1 },
      tokenizer: new Uint8Array([1, 2, 3]),
      train: e,
      validation: e,
      test: e,
      texts: { validation: { source: ['a'], target: ['b'] }, test: { source: ['c'], target: ['d'] } },
      provenance: { dataset: 'x' },
    });
    const back = readPretokenized(file);
    expect([...back.tokenizer]).toEqual([1, 2, 3]);
    for (const k of ['source', 'decoderInput', 'labels'] as const)
      expect([...back.train[k]]).toEqual([...e[k]]);
    expect(back.texts.test.target).toEqual(['d']);
    expect(() => readPretokenized(new Uint8Array(20))).toThrow(/not an attnzoo pretokenized file/);
  });
});
