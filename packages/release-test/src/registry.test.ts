// Publish → install against a real npm registry: verdaccio on loopback (temporary storage and
// config), every library package and every model-release package under models/ published to
// it by scripts/release.mjs, plus a tiny ViT release trained here; then a fresh folder outside
// the workspace installs @attnzoo/vit and that release with plain `npm install` (the
// @attnzoo scope from verdaccio, everything else from the npm config's registry) and runs an
// ES-module and a CommonJS script that must reproduce the accuracy recorded in the release's
// card, and a TypeScript consumer type-checks against the published declarations.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadDataset, type TextSplit } from '@attnzoo/datasets/node';
import { selectBackend } from '@attnzoo/runtime';
import * as textcls from '@attnzoo/text-classifier/node';
import { trainSentencePiece } from '@attnzoo/tokenizer/node';
import { trainRelease } from '@attnzoo/vit/node';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error scripts/release.mjs is plain JavaScript without declarations
import * as release from '../../../scripts/release.mjs';
import { type LocalRegistry, startRegistry } from './verdaccio';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '../../..');
const CONSUMER = resolve(here, '../consumer');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** The tiny text-classifier release: IMDB slice, SentencePiece 500, one block of width 16. */
const TEXT_RELEASE = '@attnzoo/model-textcls-imdb-tiny';
const IMDB = resolve(ROOT, '..', 'shared', 'data', 'aclImdb_v1-labelled.tar.gz');

/** `count` examples spread evenly over a split (IMDB's splits are sorted by label). */
function spread(s: TextSplit, count: number, offset = 0): TextSplit {
  const n = s.texts.length;
  const idx = Array.from({ length: count }, (_, i) => (Math.floor((i * n) / count) + offset) % n);
  return { ...s, texts: idx.map((i) => s.texts[i]), labels: Int32Array.from(idx, (i) => s.labels[i]) };
}

/** The tiny ViT release: MNIST slice, one small block; accuracy recorded on TEST_IMAGES test images. */
const VIT_RELEASE = '@attnzoo/model-vit-mnist-tiny';
const TEST_IMAGES = 500;
/** trainRelease takes its test subset with the recipe's seed (1); loadImageData adds 2 for the test split. */
const SUBSET_SEED = 1;

interface Metric {
  name: string;
  value: number;
  split?: string;
}

interface Packed {
  name: string;
  version: string;
  packedBytes: number;
  skipped: boolean;
}

const work = mkdtempSync(join(tmpdir(), 'attnzoo-release-test-'));
let registry: LocalRegistry | undefined;
/** npm's user config for publishing: the token of the verdaccio user. */
let publishEnv: NodeJS.ProcessEnv;
const published: Packed[] = [];

async function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  try {
    return await run(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${e.stderr || e.stdout || e.message}`);
  }
}

/** A fresh npm project outside the workspace whose @attnzoo scope comes from the local registry. */
function consumerFolder(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `attnzoo-consumer-${name}-`));
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: `consumer-${name}`, version: '1.0.0', private: true }, null, 2)}\n`,
  );
  writeFileSync(join(dir, '.npmrc'), `@attnzoo:registry=${registry!.url}\n`);
  return dir;
}

async function npmInstall(dir: string, specs: string[]): Promise<void> {
  // Plain npm install; peers (tfjs-core, tfjs-layers, tfjs-backend-cpu) come with it.
  await sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], dir, {
    ...process.env,
    NODE_OPTIONS: '',
  });
}

async function node(dir: string, script: string, args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await sh(process.execPath, [script, ...args], dir, { ...process.env, NODE_OPTIONS: '' });
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line);
}

/** Packs and publishes a folder that is not a workspace package (the releases trained here). */
async function publishFolder(dir: string): Promise<void> {
  const dest = mkdtempSync(join(work, 'pack-'));
  const packed = release.packPackage(dir, dest);
  await sh('npm', ['publish', packed.tarball, '--registry', registry!.url], dir, publishEnv);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  published.push({ name: pkg.name, version: pkg.version, packedBytes: packed.packedBytes, skipped: false });
}

function recordedAccuracy(presetDir: string, split: string): number {
  const metadata = JSON.parse(readFileSync(join(presetDir, 'metadata.json'), 'utf8'));
  const m = (metadata.metrics as Metric[]).find((x) => x.name === 'accuracy' && x.split === split);
  if (!m) throw new Error(`${presetDir}: no accuracy on ${split} recorded`);
  return m.value;
}

let textRelease: string;
/** Reviews the text consumers classify, and the accuracy of the released float16 weights on them here. */
let reviews: { texts: string[]; labels: number[] };
let textAccuracy: number;
let textRecorded: number;

/**
 * A tiny text-classifier release, trained here as the package's own release test does: a
 * SentencePiece model (spm_train) on IMDB training reviews, a pretokenized file, train-release
 * with a small recipe, unpacked into a model-release package folder.
 */
async function tinyTextRelease(): Promise<void> {
  const d = await loadDataset('imdb', { source: IMDB, validationFraction: 0 });
  const train = d.train as TextSplit;
  const test = d.test as TextSplit;
  const pre = { ...textcls.DEFAULT_PREPROCESSOR, maxLength: 32 };
  const { tokenizer } = await trainSentencePiece({
    inputTexts: spread(train, 800).texts.map((t) => textcls.cleanText(t, pre)),
    vocabSize: 500,
    modelPrefix: join(work, 'imdb-500'),
  });
  try {
    const p = new textcls.TextPreprocessor(tokenizer, pre);
    const enc = (s: TextSplit) => ({ ...p.encode(s.texts), labels: s.labels, maxLength: 32 });
    const validation = spread(test, 128);
    const heldOut = spread(test, 128, 1);
    const bytes = textcls.encodePretokenized(
      {
        dataset: 'imdb',
        splitNote: 'release test slice',
        maxLength: 32,
        vocabularySize: tokenizer.vocabularySize,
        padId: tokenizer.padId,
        classNames: ['negative', 'positive'],
        preprocessor: pre,
        tokenizerSha256: 'release-test',
      },
      { train: enc(spread(train, 1024)), validation: enc(validation), test: enc(heldOut) },
      tokenizer.bytes,
    );
    const binPath = join(work, 'imdb-32.bin');
    writeFileSync(binPath, bytes);
    const base = textcls.getRecipe('textcls-imdb-super');
    const s = await textcls.trainRelease({
      preset: 'textcls-imdb-super',
      recipe: {
        ...base,
        model: { ...base.model, maxLength: 32, width: 16, numHeads: 2, feedForwardWidth: 32 },
        training: { ...base.training, epochs: 2, batchSize: 32, peakLr: 3e-3 },
      },
      data: binPath,
      out: join(work, 'textcls-imdb-super'),
      backend: 'cpu',
      hardware: 'release test',
      command: 'vitest --project release-test',
      log: () => {},
    });
    textRelease = await textcls.unpackRelease(s.tar, join(work, 'text-models'));
    textRecorded = s.metrics[0].value;
    reviews = { texts: heldOut.texts, labels: Array.from(heldOut.labels) };
    const released = await textcls.TextClassifier.fromPretrained(textcls.presetDirOf(textRelease));
    const predictions = await released.predict(reviews.texts);
    textAccuracy = predictions.filter((q, i) => q.index === reviews.labels[i]).length / reviews.texts.length;
    released.dispose();
  } finally {
    tokenizer.dispose();
  }
  const pkgPath = join(textRelease, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
  writeFileSync(
    pkgPath,
    `${JSON.stringify({ ...pkg, name: TEXT_RELEASE, description: `Test release. ${pkg.description}` }, null, 2)}\n`,
  );
}

let vitRelease: string;
let vitSummary: { first1000Accuracy: number; testImages: number };

/** Seconds per stage, printed at the end. */
const timings: string[] = [];
let clock = performance.now();
function lap(stage: string): void {
  const now = performance.now();
  timings.push(`${stage}: ${((now - clock) / 1000).toFixed(1)} s`);
  clock = now;
}

beforeAll(async () => {
  clock = performance.now();
  // cpu here and in the consumers: the same kernels, so the accuracies match exactly.
  await selectBackend(tf, { backend: 'cpu', log: () => {} });

  // 1. A tiny ViT release (recipe vit-mnist-efficient, small backbone) renamed for this test.
  vitRelease = join(work, 'vit-release');
  vitSummary = await trainRelease({
    name: 'vit-mnist-efficient',
    out: vitRelease,
    epochs: 2,
    trainLimit: 4096,
    testLimit: TEST_IMAGES,
    batchSize: 32,
    backbone: { patchSize: 7, width: 16, depth: 1, numHeads: 2, feedForwardWidth: 32 },
    env: { backend: 'cpu', hardware: 'release test', command: 'vitest --project release-test' },
    log: () => {},
  });
  lap('train the tiny ViT release');
  const pkgPath = join(vitRelease, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
  writeFileSync(
    pkgPath,
    `${JSON.stringify({ ...pkg, name: VIT_RELEASE, description: `Test release. ${pkg.description}` }, null, 2)}\n`,
  );
  await tinyTextRelease();
  lap('train the tiny text-classifier release (tokenizer, pretokenize, train-release)');

  // 2. The registry, and everything published to it.
  registry = await startRegistry();
  const userconfig = join(work, 'publish.npmrc');
  writeFileSync(userconfig, `//${new URL(registry.url).host}/:_authToken=${registry.token}\n`);
  publishEnv = { ...process.env, NPM_CONFIG_USERCONFIG: userconfig, NODE_OPTIONS: '' };
  const rows: Packed[] = await release.publishWorkspace({
    registry: registry.url,
    groups: ['packages', 'models'],
    env: publishEnv,
    log: () => {},
  });
  published.push(...rows);
  await publishFolder(vitRelease);
  await publishFolder(textRelease);
  lap('start verdaccio, pack, publint, attw and publish');
}, 600_000);

afterAll(async () => {
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
  console.log(`release test stages:\n  ${timings.join('\n  ')}`);
  if (published.length) {
    const table = published.map((p) => `  ${p.name}@${p.version}\t${(p.packedBytes / 1024).toFixed(1)} KiB`);
    console.log(`packed sizes of the published packages:\n${table.join('\n')}`);
  }
});

describe('publish → install from a local registry', () => {
  it('published every library package and every model release in models/', async () => {
    const expected = release
      .publishablePackages(['packages', 'models'])
      .map((p: { name: string }) => p.name)
      .sort();
    expect(expected).toContain('@attnzoo/vit');
    expect(expected).toContain('@attnzoo/text-classifier');
    const names = published.map((p) => p.name);
    for (const name of expected) expect(names).toContain(name);
    const r = await fetch(`${registry!.url}@attnzoo%2fvit`);
    const doc = (await r.json()) as { versions: Record<string, { dependencies: Record<string, string> }> };
    const vit = Object.values(doc.versions)[0];
    // pnpm pack turned workspace:* into real versions
    expect(vit.dependencies['@attnzoo/hub']).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a fresh npm project installs @attnzoo/vit and a ViT release; ESM, CommonJS and TypeScript consumers work', async () => {
    const dir = consumerFolder('vit');
    try {
      await npmInstall(dir, ['@attnzoo/vit', VIT_RELEASE]);
      lap('npm install @attnzoo/vit and the release');
      for (const f of ['vit.mjs', 'vit.cjs', 'vit-consumer.mts', 'vit-consumer.cts'])
        copyFileSync(join(CONSUMER, f), join(dir, f));

      const recorded = recordedAccuracy(join(vitRelease, 'preset'), 'test[:1000]');
      expect(recorded).toBeCloseTo(vitSummary.first1000Accuracy, 4);
      expect(recorded).toBeGreaterThan(0.3); // well above chance (0.1): the model learned something
      lap(`(ViT release: ${recorded} accuracy on ${TEST_IMAGES} MNIST test images)`);

      const args = [VIT_RELEASE, '^0.1.0', String(TEST_IMAGES), String(SUBSET_SEED)];
      const esm = await node(dir, 'vit.mjs', args);
      expect(esm).toMatchObject({ count: TEST_IMAGES, classes: 10 });
      expect(esm.accuracy).toBe(vitSummary.first1000Accuracy);
      const cjs = await node(dir, 'vit.cjs', args);
      expect(cjs).toEqual({ accuracy: vitSummary.first1000Accuracy, count: TEST_IMAGES });
      lap('ESM and CommonJS consumers');

      // A version the installed release does not satisfy is refused, naming what to install.
      await expect(node(dir, 'vit.mjs', [VIT_RELEASE, '^2.0.0', '10', '1'])).rejects.toThrow(
        /version \^2\.0\.0 was requested/,
      );

      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'nodenext',
            moduleResolution: 'nodenext',
            target: 'es2022',
            lib: ['es2022', 'dom'],
            strict: true,
            noEmit: true,
            skipLibCheck: true, // tfjs-layers' own declarations fail strict checks
            types: [],
            typeRoots: [join(ROOT, 'node_modules', '@types')],
          },
          files: ['vit-consumer.mts', 'vit-consumer.cts'],
        }),
      );
      await sh(process.execPath, [TSC, '-p', 'tsconfig.json'], dir);
      lap('tsc on the TypeScript consumer');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('publish → install from a local registry: text classifier', () => {
  it('a fresh npm project installs @attnzoo/text-classifier and a release; ESM, CommonJS and TypeScript consumers work', async () => {
    const dir = consumerFolder('textcls');
    try {
      await npmInstall(dir, ['@attnzoo/text-classifier', TEXT_RELEASE]);
      lap('npm install @attnzoo/text-classifier and the release');
      for (const f of ['textcls.mjs', 'textcls.cjs', 'textcls-consumer.mts'])
        copyFileSync(join(CONSUMER, f), join(dir, f));
      writeFileSync(join(dir, 'reviews.json'), JSON.stringify(reviews));

      // The card records float32 accuracy on the same rows; the release holds float16 weights.
      expect(
        recordedAccuracy(join(textRelease, 'preset'), `test (${reviews.texts.length} examples)`),
      ).toBeCloseTo(textRecorded, 4);
      expect(Math.abs(textAccuracy - textRecorded)).toBeLessThan(0.05);
      const esm = await node(dir, 'textcls.mjs', [TEXT_RELEASE, '0.1.0']);
      expect(esm).toMatchObject({ accuracy: textAccuracy, count: reviews.texts.length });
      const cjs = await node(dir, 'textcls.cjs', [TEXT_RELEASE, '^0.1.0']);
      expect(cjs).toEqual({ accuracy: textAccuracy, count: reviews.texts.length });
      lap('text ESM and CommonJS consumers');

      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'nodenext',
            moduleResolution: 'nodenext',
            target: 'es2022',
            lib: ['es2022', 'dom'],
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: [],
          },
          files: ['textcls-consumer.mts'],
        }),
      );
      await sh(process.execPath, [TSC, '-p', 'tsconfig.json'], dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
