import { rmSync } from 'node:fs';
import type { SentencePieceTokenizer } from '@attnzoo/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PREPROCESSOR, textClassifierConfig } from './config';
import { cleanText, TextPreprocessor } from './preprocessor';
import { imdb, smallTokenizer } from './testing/fixtures';

let tok: SentencePieceTokenizer;
let dir: string;
beforeAll(async () => {
  ({ tokenizer: tok, dir } = await smallTokenizer());
});
afterAll(() => {
  tok?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('cleanText', () => {
  it("removes IMDB's <br /> markup, tags, entities and control characters, normalises Unicode and whitespace", () => {
    const c = (t: string) => cleanText(t, DEFAULT_PREPROCESSOR);
    expect(c('Great.<br /><br />Really   great!')).toBe('Great. Really great!');
    expect(c('<i>Casablanca</i> &amp; <b>more</b>\u0000\tend\n')).toBe('Casablanca & more end');
    expect(c('ﬁlm ＡＢＣ')).toBe('film ABC'); // NFKC: ligature, full-width letters
    expect(c('e\u0301')).toBe('é');
    expect(c('  \n ')).toBe('');
    expect(cleanText('<br />A', { ...DEFAULT_PREPROCESSOR, stripHtml: false, lowercase: true })).toBe(
      '<br />a',
    );
    expect(() => c(42 as unknown as string)).toThrow(/expected a string/);
  });

  it('leaves no <br /> in up to 300 real IMDB reviews that have it', async () => {
    const { test } = await imdb();
    const withBr = test.texts.filter((t) => t.includes('<br />')).slice(0, 300);
    // Over half of IMDB's reviews have <br /> markup: 300 of the full split, over 100 of the slice.
    expect(withBr.length).toBeGreaterThan(100);
    for (const t of withBr) expect(cleanText(t, DEFAULT_PREPROCESSOR)).not.toMatch(/<br|\s{2}/);
  });
});

describe('TextPreprocessor', () => {
  it('gives fixed-length rows padded with the pad id, truncated per config, bos as class token', async () => {
    const { test } = await imdb();
    const review = test.texts[0];
    const pre = new TextPreprocessor(tok, { ...DEFAULT_PREPROCESSOR, maxLength: 24 });
    const b = pre.encode([review, 'Fine.', '']);
    expect(b.ids.length).toBe(3 * 24);
    const full = tok.encode(pre.clean(review));
    expect(Array.from(b.ids.subarray(0, 24))).toEqual(full.slice(0, 24));
    expect(b.fullLengths[0]).toBe(full.length);
    expect(Array.from(b.ids.subarray(48))).toEqual(new Array(24).fill(tok.padId));
    const tail = new TextPreprocessor(tok, {
      ...DEFAULT_PREPROCESSOR,
      maxLength: 24,
      truncation: 'start',
      addBos: true,
    });
    const t = tail.encode([review]);
    expect(Array.from(t.ids)).toEqual([tok.bosId, ...full.slice(full.length - 23)]);
    expect(() => pre.encode([null as unknown as string])).toThrow(/text 0 is null/);
  });

  it('class pooling requires the bos class token and maxLength agrees with the model', () => {
    expect(() =>
      textClassifierConfig({ vocabularySize: 500, pooling: 'class', preprocessor: { addBos: false } }),
    ).toThrow(/class pooling needs/);
    expect(textClassifierConfig({ vocabularySize: 500, pooling: 'class' }).preprocessor.addBos).toBe(true);
    expect(() => textClassifierConfig({ vocabularySize: 500, width: 30, numHeads: 4 })).toThrow(/divisible/);
    expect(() => textClassifierConfig({ vocabularySize: 500, variant: 'linear' as never })).toThrow(
      /unknown attention variant/,
    );
  });
});
