import { describe, expect, it } from 'vitest';
import { computeBleu, corpusBleu } from './bleu';
import { corpusChrf } from './chrf';
import { tokenize13a } from './tokenizer-13a';

// Hypotheses, references and expected scores from sacreBLEU's own tests
// (test/test_bleu.py and test/test_chrf.py of mjpost/sacrebleu 2.x).
const refs = [
  ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
  ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
];
const hyps = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];

describe('corpus BLEU (sacreBLEU test values)', () => {
  it('default settings: 13a, exp smoothing', () => {
    const bleu = corpusBleu(hyps, refs);
    expect(Math.abs(bleu.score - 48.530827)).toBeLessThan(1e-6);
    expect(bleu.signature).toBe('nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.4.3');
  });

  it('tokenize none, smooth none, empty hypotheses', () => {
    expect(Math.abs(corpusBleu(hyps, refs, { tokenize: 'none' }).score - 49.1919566)).toBeLessThan(1e-6);
    expect(Math.abs(corpusBleu(hyps, refs, { smoothMethod: 'none' }).score - 48.530827)).toBeLessThan(1e-6);
    expect(corpusBleu(['', '', ''], refs).score).toBe(0);
  });

  it.each([
    [1, '77.65'],
    [2, '60.50'],
    [3, '53.93'],
    [4, '48.53'],
    [5, '46.14'],
    [6, '43.28'],
  ])('max n-gram order %i', (order, expected) => {
    expect(corpusBleu(hyps, refs, { maxNgramOrder: order }).score.toFixed(2)).toBe(expected);
  });

  it('raw BLEU cases (tokenize none, floor 0.01, effective order)', () => {
    const raw = (h: string[], r: string[][]) =>
      corpusBleu(h, r, { tokenize: 'none', smoothMethod: 'floor', smoothValue: 0.01, effectiveOrder: true })
        .score / 100;
    expect(raw(['this is a test', 'another test'], [['ref1', 'ref2']])).toBe(0);
    expect(Math.abs(raw(['this is a test'], [['this is a test']]) - 1)).toBeLessThan(1e-8);
    expect(Math.abs(raw(['this is a fest'], [['this is a test']]) - 0.223606797749979)).toBeLessThan(1e-8);
    expect(Math.abs(raw(['test'], [['a test']]) - 0.3678794411714425)).toBeLessThan(1e-8);
    expect(Math.abs(raw(['a test'], [['a test']]) - 1)).toBeLessThan(1e-8);
    expect(Math.abs(raw(['a little test'], [['a test']]) - 0.03218297948685433)).toBeLessThan(1e-8);
  });

  it('statistics and scoring from sufficient statistics', () => {
    const s = corpusBleu(['am I am a character sequence'], [['I am a symbol string sequence a a']], {
      tokenize: 'none',
      smoothMethod: 'floor',
      smoothValue: 0.01,
      effectiveOrder: true,
    });
    expect(s.counts).toEqual([4, 2, 1, 0]);
    expect(s.totals).toEqual([6, 5, 4, 3]);
    const scored = computeBleu([9, 7, 5, 3], [10, 8, 6, 4], 11, 11);
    expect(Math.abs(scored.score / 100 - 0.8375922397)).toBeLessThan(1e-8);
    const degenerate = computeBleu([6, 5, 4, 0], [6, 5, 4, 3], 6, 6, {
      smoothMethod: 'floor',
      smoothValue: 0,
    });
    expect(degenerate.score).toBe(0);
  });

  it('13a splits punctuation, keeps decimals and unescapes entities', () => {
    expect(tokenize13a("It wasn't 3.5-fold, &quot;ok&quot;.")).toBe('It wasn\'t 3.5 - fold , " ok " .'); // 13a keeps apostrophes
    expect(tokenize13a('  ¿Dónde   está?  ')).toBe('¿Dónde está ?');
  });

  it('rejects mismatched streams', () => {
    expect(() => corpusBleu(['a'], [['a', 'b']])).toThrow(/one reference per hypothesis/);
  });
});

describe('chrF (sacreBLEU test values)', () => {
  const eps = (h: string[], r: string[]) => corpusChrf(h, [r], { beta: 3, epsSmoothing: true }).score;
  it.each([
    [['abcdefg'], ['hijklmnop'], 0],
    [['a'], ['b'], 0],
    [[''], ['b'], 0],
    [[''], ['reference'], 0],
    [['aa'], ['ab'], 8.3333],
    [['a', 'b'], ['a', 'c'], 8.3333],
    [['a'], ['a'], 16.6667],
    [['a b c'], ['a b c'], 50.0],
    [['a b c'], ['abc'], 50.0],
    [
      [
        ' risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .',
      ],
      [
        'risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .',
      ],
      63.36173,
    ],
    [
      [' Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. '],
      ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'],
      64.1302698,
    ],
    [
      ['Niemand hat die Absicht, eine Mauer zu errichten'],
      ['Niemand hat die Absicht, eine Mauer zu errichten'],
      100.0,
    ],
  ])('eps smoothing, beta 3: %j vs %j', (h, r, expected) => {
    expect(Math.abs(eps(h, r) - expected)).toBeLessThan(1e-4);
  });

  it.each([
    [['a'], ['a'], 100.0],
    [[''], ['reference'], 0.0],
    [['a b c'], ['a b c'], 100.0],
    [['a b c'], ['abc'], 100.0],
    [[''], ['c'], 0.0],
    [['a', 'b'], ['a', 'c'], 50.0],
    [['aa'], ['ab'], 25.0],
  ])('effective order (the default), beta 3: %j vs %j', (h, r, expected) => {
    expect(Math.abs(corpusChrf(h, [r], { beta: 3 }).score - expected)).toBeLessThan(1e-4);
  });

  it('keeps whitespace when asked', () => {
    const s = corpusChrf(
      ['Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.'],
      [['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.']],
      { beta: 3, whitespace: true },
    );
    expect(Math.abs(s.score - 67.3481606)).toBeLessThan(1e-4);
  });

  it.each([
    [
      'Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.',
      'Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.',
      39.14078509,
    ],
    [
      'Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.',
      'A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.',
      31.22557079,
    ],
    [
      'Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.',
      'Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.',
      57.15704367,
    ],
  ])('sentence chrF, beta 2, eps smoothing: %s', (h, r, expected) => {
    expect(Math.abs(corpusChrf([h], [[r]], { epsSmoothing: true }).score - expected)).toBeLessThan(1e-4);
  });

  it('default signature', () => {
    expect(corpusChrf(['a'], [['a']]).signature).toBe(
      'nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.4.3',
    );
  });
});
