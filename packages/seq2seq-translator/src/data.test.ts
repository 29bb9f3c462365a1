import { readTar } from '@attnzoo/datasets';
import { describe, expect, it } from 'vitest';
import { encodePairs, sentenceKey, splitParallel } from './data';
import { readPretokenized, writePretokenized } from './pretokenized';
import { tarFiles } from './tar';
import { ankiPairs } from './testing/fixtures';

describe('Anki en-es split', () => {
  it('is deterministic and keeps every English sentence of the test split out of training', async () => {
    const pairs = await ankiPairs();
    expect(pairs.source.length).toBe(123376);
    const a = splitParallel(pairs);
    const b = splitParallel(pairs);
    expect(a.test.source).toEqual(b.test.source);
    const n = pairs.source.length;
    expect(a.train.source.length + a.validation.source.length + a.test.source.length).toBe(n);
    expect(a.test.source.length / n).toBeGreaterThan(0.04);
    expect(a.test.source.length / n).toBeLessThan(0.06);
    expect(a.validation.source.length / n).toBeGreaterThan(0.02);
    expect(a.validation.source.length / n).toBeLessThan(0.04);
    const train = new Set(a.train.source.map(sentenceKey));
    expect(a.test.source.filter((s) => train.has(sentenceKey(s)))).toEqual([]);
    expect(a.validation.source.filter((s) => train.has(sentenceKey(s)))).toEqual([]);
    // Grouping works: Anki lists "Run!" with several Spanish translations; all land together.
    const run = ['train', 'validation', 'test'].filter((k) =>
      a[k as 'train'].source.some((s) => s === 'Run!'),
    );
    expect(run).toHaveLength(1);
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

describe('release tar', () => {
  it('is read back by the datasets tar reader', async () => {
    const body = new TextEncoder().encode('x'.repeat(1000));
    const tar = tarFiles({
      'translator-x/preset/a.bin': body,
      'translator-x/package.json': new Uint8Array([123, 125]),
    });
    const seen: Record<string, number> = {};
    for await (const e of readTar([tar])) seen[e.path] = (await e.bytes()).length;
    expect(seen).toMatchObject({ 'translator-x/preset/a.bin': 1000, 'translator-x/package.json': 2 });
  });
});
