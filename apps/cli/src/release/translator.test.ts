import { existsSync, promises as fs } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANKI, testData } from '@attnzoo/fixtures';
import { loadTranslator } from '@attnzoo/seq2seq-translator/node';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../main';

/** The Anki pairs: the full spa-eng.zip when present, else the committed slice (packages/fixtures). */
const ANKI_ZIP = testData.file(ANKI);

/** train-tokenizer then pretokenize on the first `limit` Anki pairs: the tiny data the tests train on. */
async function tinyData(
  dir: string,
  o: { vocab: number; limit: number; sourceLength: number; targetLength: number },
): Promise<{ tok: string; data: string }> {
  const tok = join(dir, 'tok');
  const data = join(dir, 'data.s2s');
  const n = (x: number) => String(x);
  expect(
    await main([
      'release',
      'train-tokenizer',
      'translator',
      '--data',
      ANKI_ZIP,
      '--out',
      tok,
      '--vocab',
      n(o.vocab),
      '--limit',
      n(o.limit),
    ]),
  ).toBe(0);
  expect(
    await main([
      'release',
      'pretokenize',
      'translator',
      '--data',
      ANKI_ZIP,
      '--tokenizer',
      join(tok, 'tokenizer.model'),
      '--out',
      data,
      '--limit',
      n(o.limit),
      '--source-length',
      n(o.sourceLength),
      '--target-length',
      n(o.targetLength),
    ]),
  ).toBe(0);
  return { tok, data };
}

describe('attnzoo release for the translator, end to end on the CPU with tiny limits', () => {
  it('train-tokenizer → pretokenize → train-release → unpack → evaluate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attnzoo-s2s-bin-'));
    const out: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => {
      out.push(line);
    });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const { data } = await tinyData(dir, { vocab: 300, limit: 3000, sourceLength: 12, targetLength: 14 });
      expect(JSON.parse(await fs.readFile(join(dir, 'tok', 'tokenizer.json'), 'utf8')).vocabularySize).toBe(
        300,
      );
      const release = join(dir, 'out', 'translator-en-es-efficient');
      expect(
        await main([
          'release',
          'train',
          'translator-en-es-efficient',
          '--data',
          data,
          '--out',
          release,
          '--epochs',
          '2',
          '--train-limit',
          '64',
          '--test-limit',
          '12',
          '--bleu-sentences',
          '4',
          '--beam',
          '2',
          '--beam-sentences',
          '5',
          '--width',
          '32',
          '--feedForwardWidth',
          '48',
          '--numHeads',
          '2',
          '--encoderLayers',
          '1',
          '--decoderLayers',
          '1',
          '--batch-size',
          '32',
          '--backend',
          'cpu',
          '--summary',
          join(dir, 'summary.json'),
          '--checkpoints',
          join(dir, 'checkpoints'),
        ]),
      ).toBe(0);
      // Saved every epoch, so a killed run goes on with --resume.
      expect(existsSync(join(dir, 'checkpoints', 'last.json'))).toBe(true);
      const summary = JSON.parse(await fs.readFile(join(dir, 'summary.json'), 'utf8'));
      expect(summary).toMatchObject({
        preset: 'translator-en-es-efficient',
        backend: 'cpu',
        epochs: 2,
        testSentences: 12,
        beamSentences: 5,
      });
      expect(summary.bleu).toBe(summary.greedyBleu); // the headline covers the whole test split: greedy
      expect(summary.bleuSignature).toMatch(/^nrefs:1\|case:mixed\|eff:no\|tok:13a\|smooth:exp\|version:/);
      expect(existsSync(`${release}.tar`)).toBe(true);
      expect(await main(['release', 'unpack', `${release}.tar`, '--into', join(dir, 'models')])).toBe(0);
      const pkgDir = join(dir, 'models', 'translator-en-es-efficient');
      const pkg = JSON.parse(await fs.readFile(join(pkgDir, 'package.json'), 'utf8'));
      expect(pkg.name).toBe('@attnzoo/model-translator-en-es-efficient');
      expect(pkg.peerDependencies['@attnzoo/seq2seq-translator']).toBeDefined();
      const card = await fs.readFile(join(pkgDir, 'README.md'), 'utf8');
      expect(card).toContain('tok:13a');
      expect(card).toContain('attnzoo release train translator-en-es-efficient');
      const metadata = JSON.parse(await fs.readFile(join(pkgDir, 'preset', 'metadata.json'), 'utf8'));
      expect(metadata.weightsDtype).toBe('float16');
      expect(metadata.releaseCheck.sentences).toBe(12);
      const splits = metadata.metrics.map((m: { name: string; split: string }) => `${m.name} ${m.split}`);
      expect(splits).toEqual(
        expect.arrayContaining(['BLEU test', 'BLEU (beam 2) test[:5]', 'BLEU (greedy) test[:5]']),
      );
      const translator = await loadTranslator(join(pkgDir, 'preset'));
      expect(translator.config.variant).toBe('efficient');
      out.length = 0;
      expect(
        await main([
          'release',
          'evaluate',
          'translator',
          '--from',
          join(pkgDir, 'preset'),
          '--data',
          data,
          '--limit',
          '8',
          '--backend',
          'cpu',
        ]),
      ).toBe(0);
      const evaluated = JSON.parse(out[out.length - 1]);
      expect(evaluated.sentences).toBe(8);
      expect(evaluated.chrfSignature).toContain('nc:6');
      const tiny = ['--width', '32', '--feedForwardWidth', '48', '--numHeads', '2', '--encoderLayers', '1'];
      const bench = join(dir, 'bench');
      expect(
        await main([
          'bench',
          'translator-train',
          '--data',
          data,
          ...tiny,
          '--batch-size',
          '8',
          '--steps',
          '2',
          '--warmup',
          '1',
          '--backend',
          'cpu',
          '--out',
          bench,
        ]),
      ).toBe(0);
      const rows = JSON.parse(await fs.readFile(join(bench, 'translator-train-cpu.json'), 'utf8')).rows;
      expect(rows.map((r: { widthMultiple: number }) => r.widthMultiple)).toEqual([14, 1]);
      expect(rows[0].speedupOverPadded).toBe(1);
      // Bucketing computes fewer padded positions than padding every pair to 12 / 14 tokens.
      expect(rows[1].realTokenFraction).toBeGreaterThan(rows[0].realTokenFraction);
      expect(await fs.readFile(join(bench, 'translator-train-cpu.md'), 'utf8')).toContain(
        '| speed / padded |',
      );
      const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
      expect(
        await main([
          'release',
          'train',
          'translator-en-es-sdpa',
          '--data',
          data,
          '--out',
          join(dir, 'x'),
          '--resume',
        ]),
      ).toBe(1);
      expect(errors.mock.calls.flat().join('\n')).toContain('--resume needs --checkpoints <dir>');
      expect(await main(['release', 'unknown-command'])).toBe(2);
      expect(await main(['release', 'train', 'translator-en-es-sdpa', '--tar', 'x.tar'])).toBe(2);
      expect(errors.mock.calls.flat().join('\n')).toContain('--tar is an option of vit, not of translator');
      errors.mockRestore();
    } finally {
      spy.mockRestore();
      stderr.mockRestore();
    }
  });
  it('release train --time-limit-minutes pauses a translator schedule (exit 75) and --resume finishes it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attnzoo-s2s-pause-'));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const { data } = await tinyData(dir, { vocab: 200, limit: 600, sourceLength: 10, targetLength: 12 });
      const tiny = ['--width', '16', '--feedForwardWidth', '16', '--numHeads', '2', '--encoderLayers', '1'];
      // --time-limit-minutes: a fixed schedule across calls; paused after the epoch that ends past
      // the limit (exit 75, checkpoint kept, no release yet), finished by the same command + --resume.
      const paused = join(dir, 'paused');
      const pausable = (...extra: string[]) =>
        main([
          'release',
          'train',
          'translator-en-es-sdpa',
          '--data',
          data,
          '--out',
          paused,
          '--epochs',
          '3',
          '--train-limit',
          '64',
          '--test-limit',
          '4',
          '--bleu-sentences',
          '2',
          '--beam',
          '1',
          ...tiny,
          '--decoderLayers',
          '1',
          '--batch-size',
          '32',
          '--backend',
          'cpu',
          '--checkpoints',
          join(dir, 'ckpt-paused'),
          '--summary',
          join(dir, 'paused.json'),
          ...extra,
        ]);
      expect(await pausable('--time-limit-minutes', '0.0001')).toBe(75);
      expect(existsSync(join(dir, 'ckpt-paused', 'last.json'))).toBe(true);
      expect(existsSync(`${paused}.tar`)).toBe(false);
      expect(await pausable('--resume')).toBe(0);
      expect(JSON.parse(await fs.readFile(join(dir, 'paused.json'), 'utf8')).epochs).toBe(3);
      expect(await pausable('--time-limit-minutes', '1', '--minutes', '1')).toBe(1);
      expect(errors.mock.calls.flat().join('\n')).toContain('pass one of them');
    } finally {
      stderr.mockRestore();
      errors.mockRestore();
      log.mockRestore();
    }
  });
});
