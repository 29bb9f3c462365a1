// Bundle size, first-load time and inference latency of the built playground in headless
// Chromium, on wasm and on WebGPU (SwiftShader, the CPU adapter): writes
// bench-results/playground-chromium.{json,md}. Run: pnpm --filter @attnzoo/playground report
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Page } from 'puppeteer-core';
import { build } from 'vite';
import { CHROMIUM, launchChromium } from '../src/testing/chromium';
import { encodePng } from '../src/testing/png';
import { serveFolder } from '../src/testing/serve';

const app = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(app, '../..');
const REPEATS = Number(process.env.REPEATS ?? 10);

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else out.push(p);
  }
  return out;
}

async function sizes(dist: string) {
  const groups: Record<string, { files: number; bytes: number; gzip: number }> = {};
  for (const f of await files(dist)) {
    const rel = relative(dist, f);
    const group = rel.startsWith('presets/')
      ? `presets/${rel.split('/')[1].replace(/-[a-z]+$/, '-*')}`
      : rel.startsWith('wasm/')
        ? 'wasm'
        : 'app (js, css, html, sw)';
    const bytes = await readFile(f);
    groups[group] ??= { files: 0, bytes: 0, gzip: 0 };
    const g = groups[group];
    g.files++;
    g.bytes += (await stat(f)).size;
    g.gzip += gzipSync(bytes).length;
  }
  return groups;
}

interface LoadResult {
  backend: string;
  summary: string;
  firstLoadMs: number;
  reloadMs: number;
  predictMs: Record<string, number>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function ready(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const s = (window as unknown as { playground?: { ready: boolean; error: string } }).playground;
      return s?.ready || s?.error;
    },
    { timeout: 180_000 },
  );
  const error = await page.evaluate(
    () => (window as unknown as { playground: { error: string } }).playground.error,
  );
  if (error) throw new Error(error);
}

async function measure(
  url: string,
  backend: 'wasm' | 'webgpu',
  inputs: { digit: string; photo: string },
): Promise<LoadResult> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    // First load: empty browser cache and Cache API, from navigation to the four vit-mnist presets ready.
    let t = Date.now();
    await page.goto(`${url}?backend=${backend}`);
    await ready(page);
    const firstLoadMs = Date.now() - t;
    t = Date.now();
    await page.reload();
    await ready(page);
    const reloadMs = Date.now() - t;
    const s = await page.evaluate(
      () => (window as unknown as { playground: { backend: string; summary: string } }).playground,
    );
    // Each demo: one warm-up run (it loads the CIFAR-10 and IMDB presets on first use and compiles
    // WebGPU shaders), then REPEATS timed runs; a run predicts with the four variants in turn.
    const times: Record<string, number[]> = {};
    const timed = async (
      tableId: string,
      key: 'digit' | 'photo' | 'review',
      trigger: () => Promise<void>,
    ) => {
      for (let i = 0; i < REPEATS + 1; i++) {
        const before = Number(await page.$eval(`#${tableId}`, (e) => (e as HTMLElement).dataset.runs));
        await trigger();
        await page.waitForFunction(
          (id, k) => Number(document.getElementById(id)?.dataset.runs) > k,
          { timeout: 300_000 },
          tableId,
          before,
        );
        const rows = await page.evaluate(
          (k) =>
            (window as unknown as { playground: Record<string, { rows: { preset: string; ms: number }[] }> })
              .playground[k].rows,
          key,
        );
        if (i === 0) continue;
        for (const r of rows) {
          times[r.preset] ??= [];
          times[r.preset].push(r.ms);
        }
      }
    };
    const upload = (id: string, path: string) => async () => {
      await page.$eval(`#${id}`, (e) => {
        (e as HTMLInputElement).value = '';
      });
      const input = (await page.$(`#${id}`)) as unknown as { uploadFile(p: string): Promise<void> };
      await input.uploadFile(path);
    };
    await timed('digit-results', 'digit', upload('digit-file', inputs.digit));
    await timed('photo-results', 'photo', upload('photo-file', inputs.photo));
    await timed('review-results', 'review', () => page.click('#review-run'));
    return {
      backend: s.backend,
      summary: s.summary,
      firstLoadMs,
      reloadMs,
      predictMs: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Number(median(v).toFixed(2))])),
    };
  } finally {
    await browser.close();
  }
}

const dist = join(await mkdtemp(join(tmpdir(), 'attnzoo-playground-report-')), 'dist');
process.env.NODE_ENV = 'production';
await build({ root: app, mode: 'production', logLevel: 'error', build: { outDir: dist, emptyOutDir: true } });
const bundle = await sizes(dist);
const { url, server } = await serveFolder(dist);
const digitPath = join(dirname(dist), 'digit.png');
const one = new Uint8Array(28 * 28);
for (let y = 5; y < 23; y++) for (let x = 12; x < 16; x++) one[y * 28 + x] = 255;
await writeFile(digitPath, encodePng(one, 28, 28, 1));
// A 32×32 photo-like RGB image: a smooth colour gradient.
const photoPath = join(dirname(dist), 'photo.png');
const rgb = new Uint8Array(32 * 32 * 3);
for (let i = 0; i < 32 * 32; i++) rgb.set([(i % 32) * 8, Math.floor(i / 32) * 8, 128], i * 3);
await writeFile(photoPath, encodePng(rgb, 32, 32, 3));
const runs: LoadResult[] = [];
for (const backend of ['wasm', 'webgpu'] as const)
  runs.push(await measure(url, backend, { digit: digitPath, photo: photoPath }));
server.close();
await rm(dirname(dist), { recursive: true, force: true });

const chromium = execFileSync(CHROMIUM, ['--version'], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'ignore'],
})
  .replace(/ built on .*/s, '')
  .trim();
const machine = `${cpus().length} CPU cores (${cpus()[0]?.model.trim()}), ${chromium} headless`;
const date = new Date().toISOString().slice(0, 10);
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
const md = [
  '# Playground in Chromium',
  '',
  `${date}, ${machine}; \`pnpm --filter @attnzoo/playground report\` (apps/playground/scripts/report.ts): a production build served on 127.0.0.1.`,
  '',
  '## Bundle',
  '',
  '| part | files | bytes | gzip |',
  '|---|---|---|---|',
  ...Object.entries(bundle).map(([k, v]) => `| ${k} | ${v.files} | ${kib(v.bytes)} | ${kib(v.gzip)} |`),
  '',
  'The page loads the app, one wasm binary (wasm backend) and the four vit-mnist presets at start; the',
  'CIFAR-10 and IMDB presets load on first use. Presets are served as stored (float16 shards); gzip is',
  'what a compressing server would send.',
  '',
  '## Load and inference',
  '',
  'First load: a fresh browser profile, from navigation until the four vit-mnist presets are built.',
  'Reload: the same page again, presets from the Cache API and the app from its service worker.',
  `Inference: median of ${REPEATS} single-input predictions per release (after one warm-up run that`,
  'loads the CIFAR-10 and IMDB presets): a 28×28 digit, a 32×32 photo, the default review.',
  '',
  '| backend | first load | reload |',
  '|---|---|---|',
  ...runs.map((r) => `| ${r.backend} | ${r.firstLoadMs} ms | ${r.reloadMs} ms |`),
  '',
  `| release | ${runs.map((r) => r.backend.split(' ')[0]).join(' | ')} |`,
  `|---|${runs.map(() => '---|').join('')}`,
  ...['vit-mnist', 'vit-cifar10', 'textcls-imdb'].flatMap((family) =>
    ['sdpa', 'optimised', 'efficient', 'super'].map(
      (v) => `| ${family}-${v} | ${runs.map((r) => `${r.predictMs[`${family}-${v}`]} ms`).join(' | ')} |`,
    ),
  ),
  '',
  ...runs.map((r) => `- ${r.summary}`),
  '',
  'WebGPU here is SwiftShader, a GPU emulated on the CPU (no GPU on this machine): it shows that the',
  'WebGPU path works, not what it costs on a GPU.',
  '',
].join('\n');
await writeFile(join(repo, 'bench-results/playground-chromium.md'), md);
await writeFile(
  join(repo, 'bench-results/playground-chromium.json'),
  `${JSON.stringify({ date, machine, bundle, runs }, null, 2)}\n`,
);
console.log(md);
