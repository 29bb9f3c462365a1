import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { archiveEntries, loadDataset, mnistFromNpm, readAnki, type TextSplit } from '@attnzoo/datasets/node';
import { ANKI, aboveChance, IMDB, testData } from '@attnzoo/fixtures';
import { save } from '@attnzoo/hub/node';
import { loadTranslator, splitParallel, Translator } from '@attnzoo/seq2seq-translator/node';
import { encodePretokenized, TextClassifier } from '@attnzoo/text-classifier/node';
import { trainSentencePiece } from '@attnzoo/tokenizer/node';
import { ImageClassifier, saveClassifier } from '@attnzoo/vit/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from './backend';
import { greyPng as png } from './grey-png';
import { cli } from './testing/run-cli';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');

let dir: string;
let vitPreset: string;
let translatorPreset: string;

/** `n` examples spread evenly over a split (IMDB's splits are sorted by label); all of them when fewer. */
function spread(s: TextSplit, count: number, offset = 0): TextSplit {
  const n = Math.min(count, s.texts.length);
  const idx = Array.from(
    { length: n },
    (_, i) => (Math.floor((i * s.texts.length) / n) + offset) % s.texts.length,
  );
  return { ...s, texts: idx.map((i) => s.texts[i]), labels: Int32Array.from(idx, (i) => s.labels[i]) };
}

/**
 * A tiny text-classifier preset (SentencePiece trained on IMDB reviews) and a pre-tokenized IMDB
 * file for it: made once, by whichever test needs it first, so that no test relies on another
 * describe's set-up having run.
 */
let textSetUp:
  | Promise<{ textPreset: string; textData: string; trainCount: number; testCount: number }>
  | undefined;
function textFixture() {
  textSetUp ??= makeTextFixture();
  return textSetUp;
}

async function makeTextFixture() {
  const d = await loadDataset('imdb', { source: testData.file(IMDB), validationFraction: 0 });
  const train = spread(d.train as TextSplit, 1600);
  const test = spread(d.test as TextSplit, 400);
  const { tokenizer } = await trainSentencePiece({
    inputTexts: train.texts.map((t) => t.replace(/<br \/>/g, ' ')),
    vocabSize: 400,
    modelPrefix: join(dir, 'imdb-400'),
  });
  const clf = await TextClassifier.create(
    {
      variant: 'optimised',
      maxLength: 32,
      width: 16,
      numHeads: 2,
      feedForwardWidth: 32,
      numBlocks: 1,
      classNames: ['negative', 'positive'],
      // The end of a review says more about its verdict than its first 32 tokens.
      preprocessor: { truncation: 'start' },
    },
    tokenizer,
  );
  const textPreset = join(dir, 'tiny-text');
  await save(
    clf.model,
    textPreset,
    { name: 'tiny-text', task: 'text-classification' },
    {
      config: clf.presetConfig(),
      tokenizer: tokenizer.bytes,
    },
  );
  const enc = (s: TextSplit) => {
    const e = clf.preprocessor.encode(s.texts);
    return { ids: e.ids, labels: s.labels, count: e.count, maxLength: 32 };
  };
  const bytes = encodePretokenized(
    {
      dataset: 'imdb',
      splitNote: 'a test slice of the official split',
      maxLength: 32,
      vocabularySize: tokenizer.vocabularySize,
      padId: tokenizer.padId,
      classNames: ['negative', 'positive'],
      preprocessor: clf.config.preprocessor,
      tokenizerSha256: createHash('sha256').update(tokenizer.bytes).digest('hex'),
    },
    { train: enc(train), validation: enc(spread(d.test as TextSplit, 64, 1)), test: enc(test) },
    tokenizer.bytes,
  );
  const textData = join(dir, 'imdb-32.bin');
  await writeFile(textData, bytes);
  clf.dispose();
  return { textPreset, textData, trainCount: train.texts.length, testCount: test.texts.length };
}

beforeAll(async () => {
  await chooseBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'attnzoo-cli-'));
  // A tiny "pretrained" ViT, made through @attnzoo/vit's API (no release exists yet).
  const vit = ImageClassifier.create({
    backbone: {
      imageSize: 28,
      channels: 1,
      patchSize: 7,
      width: 32,
      depth: 1,
      numHeads: 2,
      feedForwardWidth: 64,
      variant: 'efficient',
      pooling: 'class',
      seed: 3,
    },
    preprocessor: { imageSize: 28, channels: 1, mean: [0.1307], std: [0.3081] },
    numClasses: 10,
  });
  vitPreset = join(dir, 'tiny-vit');
  await saveClassifier(vit, vitPreset, { name: 'tiny-vit', task: 'image-classification' });
  vit.dispose();
}, 300_000);

describe('attnzoo finetune / evaluate / predict vit', () => {
  it('fine-tunes a ViT preset on a real MNIST slice, writes a loadable preset with its card, evaluates and predicts PNG files', async () => {
    const out = join(dir, 'vit-ft');
    const r = await cli(
      'finetune',
      'vit',
      '--from',
      vitPreset,
      '--data',
      'mnist',
      '--train-limit',
      '2000',
      '--test-limit',
      '400',
      '--epochs',
      '2',
      '--batch-size',
      '32',
      '--lr',
      '3e-3',
      '--backend',
      'wasm',
      '--out',
      out,
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.trainExamples).toBe(2000);
    expect(summary.testExamples).toBe(400);
    expect(summary.newHead).toBe(false);
    expect(summary.resumedAfterEpoch).toBe(0);
    // Ten classes: chance is 10 %; two short epochs on real digits get well past it.
    expect(summary.metric.value).toBeGreaterThan(0.3);
    const meta = JSON.parse(await readFile(join(out, 'metadata.json'), 'utf8'));
    expect(meta.metrics[0]).toMatchObject({ name: 'accuracy', split: 'test' });
    expect(meta.metrics[0].value).toBeCloseTo(summary.metric.value, 3);
    expect(meta.reproduce).toContain('attnzoo finetune vit --from');
    expect(await readFile(join(out, 'README.md'), 'utf8')).toContain('accuracy');
    expect(existsSync(`${out}.checkpoints`)).toBe(false);

    const e = await cli(
      'evaluate',
      'vit',
      '--from',
      out,
      '--data',
      'mnist',
      '--limit',
      '400',
      '--backend',
      'wasm',
      '--json',
    );
    expect(e.code, e.stderr).toBe(0);
    const ev = JSON.parse(e.stdout);
    expect(ev.count).toBe(400);
    // The card's figure is of the float32 weights on a seeded subset; the saved float16 weights on 400 spread over the split are close.
    expect(ev.metric.value).toBeGreaterThan(summary.metric.value - 0.15);

    const { test } = await mnistFromNpm({ split: 'test', validationFraction: 0 });
    const files: string[] = [];
    for (let i = 0; i < 8; i++) {
      const f = join(dir, `digit-${i}-label-${test!.labels[i]}.png`);
      await writeFile(f, png(test!.images.subarray(i * 784, (i + 1) * 784), 28, 28));
      files.push(f);
    }
    const p = await cli('predict', 'vit', '--from', out, '--backend', 'wasm', '--json', ...files);
    expect(p.code, p.stderr).toBe(0);
    const rows = JSON.parse(p.stdout);
    expect(rows).toHaveLength(8);
    let right = 0;
    for (const [i, row] of rows.entries()) {
      expect(row.top).toHaveLength(3);
      expect(row.top[0].probability).toBe(row.probability);
      if (row.label === String(test!.labels[i])) right++;
    }
    expect(right).toBeGreaterThanOrEqual(3);
    const plain = await cli('predict', 'vit', '--from', out, '--backend', 'wasm', files[0]);
    expect(plain.stdout).toMatch(/digit-0-label-\d\.png\t\d\t0\.\d{4}\t\d:0\.\d{3} /);
  });

  it('resumes a fine-tune killed mid-run (SIGKILL) and ends with a valid preset', async () => {
    const out = join(dir, 'vit-resume');
    const args = [
      'finetune',
      'vit',
      '--from',
      vitPreset,
      '--data',
      'mnist',
      '--train-limit',
      '1200',
      '--test-limit',
      '200',
      '--epochs',
      '4',
      '--batch-size',
      '32',
      '--backend',
      'wasm',
      '--out',
      out,
    ];
    // node with tsx's loader, not the tsx CLI: that CLI runs the script in a second process, which
    // a SIGKILL of the CLI leaves running (it went on training and deleted the checkpoints under the
    // resumed run).
    const tsxLoader = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
    const child = spawn(
      process.execPath,
      ['--import', tsxLoader, '--conditions=@attnzoo/source', join(here, 'bin.ts'), ...args],
      {
        cwd: root,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // Kill as soon as the first epoch's checkpoint is committed.
    const pointer = join(`${out}.checkpoints`, 'last.json');
    let killed = false;
    while (!killed) {
      if (existsSync(pointer)) {
        child.kill('SIGKILL');
        killed = true;
      } else if (child.exitCode !== null) throw new Error(`the child exited before a checkpoint: ${stderr}`);
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(await exited).toBe(null);
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);

    const again = await cli(...args);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('pass --resume to continue it');

    const r = await cli(...args, '--resume', '--json');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.resumedAfterEpoch).toBeGreaterThanOrEqual(1);
    expect(summary.resumedAfterEpoch).toBeLessThan(4);
    expect(summary.epochs).toBe(4);
    expect(summary.history.map((h: { epoch: number }) => h.epoch)).toEqual(
      Array.from({ length: 4 - summary.resumedAfterEpoch }, (_, i) => summary.resumedAfterEpoch + i),
    );
    const loaded = await ImageClassifier.fromPretrained(out);
    expect(loaded.config.numClasses).toBe(10);
    loaded.dispose();
    expect(existsSync(`${out}.checkpoints`)).toBe(false);
  });
});

describe('attnzoo finetune / evaluate / predict text-classifier', () => {
  beforeAll(async () => {
    await textFixture();
  }, 300_000);

  it('fine-tunes from a preset folder with --config yaml, then evaluates and predicts texts', async () => {
    const { textPreset, textData, trainCount, testCount } = await textFixture();
    const config = join(dir, 'ft.yaml');
    await writeFile(config, 'epochs: 2\nbatchSize: 32\nlr: 0.002\nschedule: constant\nwarmup: 0\n');
    const out = join(dir, 'text-ft');
    const r = await cli(
      'finetune',
      'text-classifier',
      '--from',
      textPreset,
      '--data',
      textData,
      '--config',
      config,
      '--epochs',
      '4',
      '--backend',
      'wasm',
      '--out',
      out,
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.epochs).toBe(4); // the flag wins over the file
    expect(s.history.map((h: { lr: number }) => h.lr)).toEqual([0.002, 0.002, 0.002, 0.002]);
    expect(s.trainExamples).toBe(trainCount); // 1,600 of the full split, all 800 of the slice
    expect(s.metric.name).toBe('accuracy');
    // Chance is 0.5; two standard errors above it is 0.55 on 400 reviews. The tiny model lands at
    // 0.58-0.62 on the full data (spm_train's multi-threaded vocabulary varies between runs), so
    // no tighter bound.
    expect(s.metric.value).toBeGreaterThan(aboveChance(testCount));
    const e = await cli(
      'evaluate',
      'text-classifier',
      '--from',
      out,
      '--data',
      textData,
      '--backend',
      'wasm',
      '--json',
    );
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).count).toBe(testCount);
    expect(Math.abs(JSON.parse(e.stdout).metric.value - s.metric.value)).toBeLessThan(0.05);
    const p = await cli(
      'predict',
      'text-classifier',
      '--from',
      out,
      '--backend',
      'wasm',
      '--json',
      'A wonderful, moving film with brilliant acting.',
      'Dull and badly written; a waste of time.',
    );
    expect(p.code, p.stderr).toBe(0);
    const rows = JSON.parse(p.stdout);
    expect(rows.map((x: { top: { label: string }[] }) => x.top.map((t) => t.label).sort())).toEqual([
      ['negative', 'positive'],
      ['negative', 'positive'],
    ]);
    for (const row of rows) expect(row.top[0].probability + row.top[1].probability).toBeCloseTo(1, 5);
  });
});

describe('attnzoo finetune / evaluate / predict translator', () => {
  beforeAll(async () => {
    const pairs = await readAnki(await archiveEntries(testData.file(ANKI)), { limit: 3000 });
    const split = splitParallel({ source: pairs.source, target: pairs.target });
    const { tokenizer } = await trainSentencePiece({
      inputTexts: [...split.train.source, ...split.train.target],
      vocabSize: 300,
      modelPrefix: join(dir, 'spa-eng-300'),
      characterCoverage: 1,
    });
    const t = Translator.create(tokenizer, {
      variant: 'super',
      width: 16,
      numHeads: 2,
      feedForwardWidth: 32,
      encoderLayers: 1,
      decoderLayers: 1,
      sourceMaxLength: 16,
      targetMaxLength: 16,
      dropout: 0,
      activation: 'relu',
      seed: 1,
    });
    translatorPreset = join(dir, 'tiny-translator');
    await save(
      t.models.model,
      translatorPreset,
      { name: 'tiny-translator', task: 'translation' },
      {
        config: t.presetConfig(),
        tokenizer: tokenizer.bytes,
      },
    );
    t.dispose();
  }, 300_000);

  it('fine-tunes on the Anki pairs, reports BLEU in the card, evaluates and translates sentences', async () => {
    const out = join(dir, 'translator-ft');
    const r = await cli(
      'finetune',
      'translator',
      '--from',
      translatorPreset,
      '--data',
      'spa-eng',
      '--train-limit',
      '256',
      '--test-limit',
      '16',
      '--epochs',
      '1',
      '--lr',
      '1e-3',
      '--backend',
      'wasm',
      '--out',
      out,
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.metric.name).toBe('BLEU');
    expect(s.testExamples).toBe(16);
    expect(s.history).toHaveLength(1);
    expect(Number.isFinite(s.history[0].loss)).toBe(true);
    const meta = JSON.parse(await readFile(join(out, 'metadata.json'), 'utf8'));
    expect(meta.metrics[0].name).toBe('BLEU');
    const before = await loadTranslator(translatorPreset);
    const after = await loadTranslator(out);
    // Fine-tuning changed the weights.
    const w0 = (await before.models.model.getWeights()[0].data()) as Float32Array;
    const w1 = (await after.models.model.getWeights()[0].data()) as Float32Array;
    expect(w0.some((v, i) => Math.abs(v - w1[i]) > 1e-4)).toBe(true);
    before.dispose();
    after.dispose();
    const e = await cli(
      'evaluate',
      'translator',
      '--from',
      out,
      '--data',
      'spa-eng',
      '--limit',
      '16',
      '--backend',
      'wasm',
      '--json',
    );
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ count: 16, metric: { name: 'BLEU' } });
    // The user's own pairs: a TSV with a header, and the same pairs as two aligned files.
    const pairs = await readAnki(await archiveEntries(testData.file(ANKI)), { limit: 200 });
    const tsv = join(dir, 'pairs.tsv');
    await writeFile(
      tsv,
      `source\ttarget\n${pairs.source.map((s, i) => `${s}\t${pairs.target[i]}`).join('\n')}\n`,
    );
    await writeFile(join(dir, 'pairs.en'), `${pairs.source.join('\n')}\n`);
    await writeFile(join(dir, 'pairs.es'), `${pairs.target.join('\n')}\n`);
    const own = [];
    for (const data of [tsv, `${join(dir, 'pairs.en')},${join(dir, 'pairs.es')}`]) {
      const o = await cli(
        'evaluate',
        'translator',
        '--from',
        out,
        '--data',
        data,
        '--backend',
        'wasm',
        '--json',
      );
      expect(o.code, o.stderr).toBe(0);
      own.push(JSON.parse(o.stdout));
    }
    expect(own[0].count).toBeGreaterThan(0);
    expect(own[1]).toMatchObject({ count: own[0].count, metric: own[0].metric });
    const named = join(dir, 'pairs.csv');
    await writeFile(
      named,
      `en,es\n${pairs.source.map((s, i) => [s, pairs.target[i]].map((x) => `"${x.replaceAll('"', '""')}"`).join(',')).join('\n')}\n`,
    );
    const cols = ['--source-column', 'en', '--target-column', 'es'];
    const c = await cli(
      'evaluate',
      'translator',
      '--from',
      out,
      '--data',
      named,
      ...cols,
      '--backend',
      'wasm',
      '--json',
    );
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ count: own[0].count, metric: own[0].metric });
    const p = await cli(
      'predict',
      'translator',
      '--from',
      out,
      '--backend',
      'wasm',
      'Good morning.',
      'I like cats.',
    );
    expect(p.code, p.stderr).toBe(0);
    const lines = p.stdout.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0].startsWith('Good morning.\t')).toBe(true);
  });

  it('--train-tokenizer on your own pairs: a new shared vocabulary in the preset, new embedding and output layer, and it evaluates and translates', async () => {
    const pairs = await readAnki(await archiveEntries(testData.file(ANKI)), { limit: 200 });
    const tsv = join(dir, 'own-pairs.tsv');
    await writeFile(
      tsv,
      `source\ttarget\n${pairs.source.map((s, i) => `${s}\t${pairs.target[i]}`).join('\n')}\n`,
    );
    const out = join(dir, 'translator-tok');
    const r = await cli(
      ...['finetune', 'translator', '--from', translatorPreset, '--data', tsv, '--train-tokenizer'],
      ...['--vocab', '120', '--epochs', '1', '--lr', '1e-3', '--backend', 'wasm', '--out', out],
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /trained a 120-piece SentencePiece tokenizer .* the token embedding and the output layer are re-initialised for it \(300 → 120 rows\)/,
    );
    const t = await loadTranslator(out);
    expect(t.tokenizer.vocabularySize).toBe(120);
    expect(t.config.vocabularySize).toBe(120);
    t.dispose();
    const e = await cli(
      'evaluate',
      'translator',
      '--from',
      out,
      '--data',
      tsv,
      '--backend',
      'wasm',
      '--json',
    );
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).metric.name).toBe('BLEU');
    const p = await cli('predict', 'translator', '--from', out, '--backend', 'wasm', 'I am here.');
    expect(p.code, p.stderr).toBe(0);
    // A named data set is not the user's own text: refused before any training.
    const named = await cli(
      ...['finetune', 'translator', '--from', translatorPreset, '--data', 'spa-eng', '--train-tokenizer'],
      ...['--backend', 'wasm', '--out', join(dir, 'translator-tok-anki')],
    );
    expect(named.code).not.toBe(0);
    expect(named.stderr).toMatch(/--train-tokenizer trains on your own pairs/);
  });
});

describe('attnzoo models', () => {
  it('lists the registered presets and local preset folders with their card metrics', async () => {
    // A preset folder of its own with a measured metric (not another test's fine-tune output).
    const folder = join(dir, 'listed');
    const vit = await ImageClassifier.fromPretrained(vitPreset);
    await saveClassifier(vit, join(folder, 'tiny-vit-scored'), {
      name: 'tiny-vit-scored',
      task: 'image-classification',
      metrics: [{ name: 'accuracy', value: 0.5, split: 'test' }],
    });
    vit.dispose();
    const r = await cli('models', '--dir', folder, '--json');
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; source: string; metrics: { name: string }[] }[];
    const names = rows.map((x) => x.name);
    for (const n of ['vit-mnist-super', 'textcls-imdb-sdpa', 'translator-en-es-efficient', 'tiny-vit-scored'])
      expect(names).toContain(n);
    const scored = rows.find((x) => x.name === 'tiny-vit-scored');
    expect(scored?.metrics[0].name).toBe('accuracy');
    const table = await cli('models', '--dir', folder);
    expect(table.stdout).toContain('| name | task | metrics (card) | where |');
  });
});

describe('attnzoo bench paper', () => {
  it('trains the variants on a real MNIST slice over two seeds; writes JSON, markdown and SVG with ratios to SDPA', async () => {
    const out = join(dir, 'paper');
    const r = await cli(
      'bench',
      'paper',
      '--task',
      'mnist',
      '--seeds',
      '2',
      '--variants',
      'sdpa,super',
      '--epochs',
      '1',
      '--train-size',
      '256',
      '--test-size',
      '128',
      '--batch-size',
      '64',
      '--backend',
      'wasm',
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'mnist', 'results.json'), 'utf8'));
    expect(json.runs).toHaveLength(4);
    expect(json.rows.map((x: { variant: string }) => x.variant)).toEqual(['sdpa', 'super']);
    const [sdpa, sup] = json.rows;
    expect(sdpa.attentionParametersRatio).toBe(1);
    expect(sdpa.throughputRatio).toBe(1);
    // Super attention: 2 of SDPA's 4 projection matrices plus a length×length mixing matrix per layer.
    expect(sup.attentionParameters).toBeLessThan(sdpa.attentionParameters);
    expect(sup.metrics).toHaveLength(2);
    expect(sup.metricStd).toBeGreaterThanOrEqual(0);
    expect(json.command).toBe(
      'attnzoo bench paper --task mnist --seeds 2 --variants sdpa,super --epochs 1 --train-size 256 --test-size 128 --batch-size 64 --backend wasm --out ' +
        out,
    );
    const md = readFileSync(join(out, 'mnist', 'results.md'), 'utf8');
    expect(md).toContain('| variant | attention params | / sdpa |');
    expect(md).toContain('Backend and hardware: wasm');
    const svg = readFileSync(join(out, 'mnist', 'chart.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect((svg.match(/<rect /g) ?? []).length).toBe(1 + 4 * 2); // background + 4 panels × 2 variants
  });

  it('runs the text (Amazon) and translation tasks on tiny slices', async () => {
    const out = join(dir, 'paper-small');
    const text = await cli(
      'bench',
      'paper',
      '--task',
      'amazon',
      '--seeds',
      '1',
      '--variants',
      'sdpa,efficient',
      '--epochs',
      '1',
      '--train-size',
      '256',
      '--test-size',
      '128',
      '--backend',
      'wasm',
      '--out',
      out,
      '--json',
    );
    expect(text.code, text.stderr).toBe(0);
    const t = JSON.parse(text.stdout);
    expect(t.metric).toBe('accuracy');
    expect(t.data.train).toBe(256);
    // Efficient attention drops two of SDPA's four projections (width 32, one block).
    expect(t.rows[1].attentionParameters).toBe(t.rows[0].attentionParameters / 2);
    // Two seeds, a held-out validation fifth: the test metric of the best validation epoch, a
    // Welch p-value against SDPA and a verdict per claim.
    const held = await cli(
      ...['bench', 'paper', '--task', 'amazon', '--seeds', '2', '--variants', 'sdpa,super', '--epochs', '2'],
      ...['--train-size', '200', '--test-size', '100', '--validation-fraction', '0.2', '--backend', 'wasm'],
      ...['--out', out, '--json'],
    );
    expect(held.code, held.stderr).toBe(0);
    const h = JSON.parse(held.stdout);
    expect(h.data.train).toBe(160);
    expect(
      h.runs.every((r: { measure: { bestEpoch: number } }) => [1, 2].includes(r.measure.bestEpoch)),
    ).toBe(true);
    expect(h.rows[1].pValue).toBeGreaterThanOrEqual(0);
    expect(h.rows[1].pValue).toBeLessThanOrEqual(1);
    expect(h.claims.map((c: { claim: string }) => c.claim)).toEqual([
      "super beats SDPA's accuracy",
      'super trains faster than SDPA',
    ]);
    const tr = await cli(
      'bench',
      'paper',
      '--task',
      'translation',
      '--seeds',
      '1',
      '--variants',
      'sdpa,optimised',
      '--epochs',
      '1',
      '--train-size',
      '128',
      '--test-size',
      '8',
      '--vocabulary',
      '150',
      '--backend',
      'wasm',
      '--out',
      out,
      '--json',
    );
    expect(tr.code, tr.stderr).toBe(0);
    const j = JSON.parse(tr.stdout);
    expect(j.metric).toBe('BLEU');
    expect(j.settings.vocabulary).toBe(150);
    // 150 words plus the special tokens: far fewer than the 128 pairs' own words.
    expect(Number(/vocabulary of (\d+)/.exec(j.model.tokens)?.[1])).toBeLessThanOrEqual(154);
    expect(j.rows.map((r: { variant: string }) => r.variant)).toEqual(['sdpa', 'optimised']);
    expect(j.rows[1].attentionParametersRatio).toBeCloseTo(0.75, 2);
    expect(existsSync(join(out, 'translation', 'chart.svg'))).toBe(true);
  });

  it('refuses --vocabulary for an image task, saying which tasks take it', async () => {
    const r = await cli('bench', 'paper', '--task', 'mnist', '--vocabulary', '100');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--vocabulary sets the word vocabulary of imdb, amazon and translation');
  });

  it('says plainly that CIFAR-100 needs a downloaded file, and rejects an unknown task', async () => {
    const r = await cli(
      'bench',
      'paper',
      '--task',
      'cifar100',
      '--seeds',
      '1',
      '--backend',
      'cpu',
      '--out',
      join(dir, 'p100'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CIFAR-100 is not available offline here .*pass --data <file>/);
    const t = await cli('bench', 'paper', '--task', 'svhn');
    expect(t.code).toBe(2);
    expect(t.stderr).toBe(
      'attnzoo: bench paper needs --task mnist|cifar10|cifar100|imdb|amazon|translation (got "svhn").',
    );
  });
});

describe('error paths', () => {
  it('every new subcommand has --help with its options', async () => {
    const want: Record<string, string> = {
      finetune: '--resume',
      evaluate: '--limit <value>',
      predict: '--top <value>',
      models: '--dir <value>',
      'bench paper': '--seeds <value>',
    };
    for (const [command, option] of Object.entries(want)) {
      const r = await cli(...command.split(' '), '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`attnzoo ${command}: `);
      expect(r.stdout).toContain(option);
    }
    const all = await cli('--help');
    for (const command of Object.keys(want)) expect(all.stdout).toContain(`attnzoo ${command}`);
  });

  it('finetune: missing model type, missing --from, unknown data name, missing file, bad schedule', async () => {
    const { textPreset } = await textFixture();
    const noTask = await cli('finetune', '--from', 'x');
    expect(noTask.code).toBe(2);
    expect(noTask.stderr).toBe(
      'attnzoo: finetune needs a model type first: attnzoo finetune <vit|text-classifier|translator|causal-lm> ...',
    );
    const noFrom = await cli('finetune', 'vit', '--data', 'mnist', '--out', join(dir, 'x'));
    expect(noFrom.code).toBe(2);
    expect(noFrom.stderr).toBe('attnzoo: finetune needs --from <preset|folder|url>.');
    const badData = await cli(
      'finetune',
      'vit',
      '--from',
      vitPreset,
      '--data',
      'svhn',
      '--out',
      join(dir, 'x'),
      '--backend',
      'cpu',
    );
    expect(badData.code).toBe(2);
    expect(badData.stderr).toMatch(/^attnzoo: --data svhn: use a data set name \(mnist, .*\) or a path\.$/);
    const missing = await cli(
      'evaluate',
      'text-classifier',
      '--from',
      textPreset,
      '--data',
      join(dir, 'nope.bin'),
      '--backend',
      'cpu',
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
    const schedule = await cli(
      'finetune',
      'vit',
      '--from',
      vitPreset,
      '--data',
      'mnist',
      '--out',
      join(dir, 'x'),
      '--schedule',
      'step',
    );
    expect(schedule.code).toBe(2);
    expect(schedule.stderr).toBe('attnzoo: --schedule must be cosine or constant, got "step".');
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('finetune refuses to overwrite a preset; a bad --config key and an unknown preset name fail clearly', async () => {
    const exists = await cli(
      'finetune',
      'vit',
      '--from',
      vitPreset,
      '--data',
      'mnist',
      '--out',
      vitPreset,
      '--backend',
      'cpu',
    );
    expect(exists.code).toBe(2);
    expect(exists.stderr).toContain('already exists: choose another --out, or pass --overwrite.');
    const config = join(dir, 'bad.json');
    await writeFile(config, JSON.stringify({ epoch: 2 }));
    const bad = await cli('finetune', 'vit', '--config', config);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"epoch" is not an option of attnzoo finetune/);
    const unknown = await cli(
      'evaluate',
      'vit',
      '--from',
      'vit-imagenet-huge',
      '--data',
      'mnist',
      '--backend',
      'cpu',
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Cannot find the preset "vit-imagenet-huge"/);
  });

  it('predict without inputs, and a task of the wrong kind for the preset', async () => {
    const none = await cli('predict', 'vit', '--from', vitPreset);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('predict vit needs image files after the options');
    const wrong = await cli('predict', 'text-classifier', '--from', vitPreset, '--backend', 'cpu', 'hello');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/not a text classifier/);
  });
});
