import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fromPretrained } from '@attnzoo/hub/node';
import { TextClassifier } from '@attnzoo/text-classifier/node';
import { SentencePieceTokenizer } from '@attnzoo/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greyPng } from './grey-png';
import { cli } from './testing/run-cli';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const TEXT_RELEASE = join(root, 'models/textcls-imdb-super');
const VIT_RELEASE = join(root, 'models/vit-mnist-super');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'attnzoo-own-data-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// A user's file of labelled sentences, with their own column names and label words.
const GOOD = [
  'a wonderful film',
  'great acting and a moving story',
  'I loved every minute',
  'superb, funny and warm',
];
const BAD = [
  'a dull mess',
  'terrible script and wooden acting',
  'I hated every minute',
  'boring, long and silly',
];
function reviewsCsv(): string {
  const rows: string[] = ['id,review,sentiment'];
  for (let i = 0; i < 40; i++) {
    rows.push(`${2 * i},"${GOOD[i % 4]}, part ${i}",happy`);
    rows.push(`${2 * i + 1},"${BAD[i % 4]}, part ${i}",unhappy`);
  }
  return `${rows.join('\n')}\n`;
}

describe('attnzoo finetune / evaluate text-classifier on your own CSV', () => {
  it('fine-tunes with a new head named by the labels, splits 90/10 seeded, and evaluates the same file', async () => {
    const data = join(dir, 'reviews.csv');
    await writeFile(data, reviewsCsv());
    const out = join(dir, 'mine');
    const f = await cli(
      ...['finetune', 'text-classifier', '--from', TEXT_RELEASE, '--data', data, '--text-column', 'review'],
      ...[
        '--label-column',
        'sentiment',
        '--epochs',
        '2',
        '--batch-size',
        '16',
        '--lr',
        '2e-3',
        '--backend',
        'wasm',
      ],
      ...['--out', out, '--json'],
    );
    expect(f.code, f.stderr).toBe(0);
    const r = JSON.parse(f.stdout);
    expect(r.newHead).toBe(true);
    expect(r.tokenizer).toBeUndefined();
    expect([r.trainExamples, r.testExamples]).toEqual([72, 8]);
    // Without --train-tokenizer the release's tokenizer is kept.
    expect(await readFile(join(out, 'tokenizer.model'))).toEqual(
      await readFile(join(TEXT_RELEASE, 'preset/tokenizer.model')),
    );
    const e = await cli(
      ...['evaluate', 'text-classifier', '--from', out, '--data', data, '--text-column', 'review'],
      ...['--label-column', 'sentiment', '--backend', 'wasm', '--json'],
    );
    expect(e.code, e.stderr).toBe(0);
    const ev = JSON.parse(e.stdout);
    expect(ev.count).toBe(8);
    // The same seeded split and weights: the evaluation repeats the fine-tune's test figure.
    expect(ev.metric.value).toBeCloseTo(r.metric.value, 6);
    const p = await cli('predict', 'text-classifier', '--from', out, '--json', 'a wonderful, moving film');
    expect(p.code, p.stderr).toBe(0);
    expect(['happy', 'unhappy']).toContain(JSON.parse(p.stdout)[0].label);
    // An empty text still gets a label, flagged as such in JSON and in the plain output.
    const empty = await cli('predict', 'text-classifier', '--from', out, '--json', '');
    expect(JSON.parse(empty.stdout)[0]).toMatchObject({
      empty: true,
      warning: expect.stringMatching(/no text left/),
    });
    const plain = await cli('predict', 'text-classifier', '--from', out, '   ');
    expect(plain.stdout).toMatch(/warning: no text left after cleaning/);

    // The weights for PyTorch (docs/safetensors.md).
    const x = await cli(
      'export',
      out,
      '--format',
      'safetensors',
      '--out',
      join(dir, 'my-reviews.safetensors'),
    );
    expect(x.code, x.stderr).toBe(0);

    // Publishing: the preset as a model-release package, packed and published (dry run) with npm,
    // installed into a fresh folder with plain npm install and loaded by its name.
    const pkg = join(dir, 'my-reviews-package');
    const w = await cli('release', 'package', out, '--name', '@me/model-reviews', '--out', pkg);
    expect(w.code, w.stderr).toBe(0);
    expect(w.stdout).toMatch(/peer dependency @attnzoo\/text-classifier\); publish it with: npm publish /);
    const npm = (cwd: string, ...args: string[]) =>
      execFileSync('npm', [...args, '--no-audit', '--no-fund'], { cwd, encoding: 'utf8' });
    const [packed] = JSON.parse(npm(dir, 'pack', pkg, '--pack-destination', dir, '--json'));
    const tarball = join(dir, packed.filename);
    // No registry is reached: a dry run checks and lists what `npm publish` would upload.
    npm(dir, 'publish', tarball, '--dry-run', '--offline', '--registry', 'http://127.0.0.1:9/');
    const app = join(dir, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), '{ "name": "app", "version": "1.0.0", "private": true }\n');
    // The model package is the release's peer; this workspace provides it, so npm leaves peers alone.
    npm(app, 'install', tarball, '--offline', '--legacy-peer-deps');
    const installed = await TextClassifier.fromPreset(
      await fromPretrained('@me/model-reviews', { resolveFrom: app }),
    );
    try {
      expect(installed.classNames).toEqual(['happy', 'unhappy']);
      const [q] = await installed.predict('a wonderful, moving film');
      expect(q.label).toBe(JSON.parse(p.stdout)[0].label);
    } finally {
      installed.dispose();
    }
  }, 600_000);

  it('--train-tokenizer: a new tokenizer of the asked vocabulary in the preset, a new token embedding, and the preset evaluates and predicts', async () => {
    const data = join(dir, 'reviews-tok.csv');
    await writeFile(data, reviewsCsv());
    const out = join(dir, 'mine-tok');
    const f = await cli(
      ...['finetune', 'text-classifier', '--from', TEXT_RELEASE, '--data', data, '--text-column', 'review'],
      ...['--label-column', 'sentiment', '--train-tokenizer', '--vocab', '48', '--epochs', '1'],
      ...['--batch-size', '16', '--lr', '2e-3', '--backend', 'wasm', '--out', out],
    );
    expect(f.code, f.stderr).toBe(0);
    expect(f.stderr).toMatch(
      /trained a 48-piece SentencePiece tokenizer on 72 training texts .* the token embedding is re-initialised for it \(8000 → 48 rows\), the other pretrained weights are kept/,
    );
    const bytes = new Uint8Array(await readFile(join(out, 'tokenizer.model')));
    expect(bytes).not.toEqual(new Uint8Array(await readFile(join(TEXT_RELEASE, 'preset/tokenizer.model'))));
    const tok = await SentencePieceTokenizer.fromBytes(bytes);
    expect(tok.vocabularySize).toBe(48);
    tok.dispose();
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config.task.config.vocabularySize).toBe(48);
    const e = await cli(
      ...['evaluate', 'text-classifier', '--from', out, '--data', data, '--text-column', 'review'],
      ...['--label-column', 'sentiment', '--backend', 'wasm', '--json'],
    );
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).count).toBe(8);
    const p = await cli('predict', 'text-classifier', '--from', out, '--json', 'a wonderful, moving film');
    expect(p.code, p.stderr).toBe(0);
    expect(['happy', 'unhappy']).toContain(JSON.parse(p.stdout)[0].label);
    // Only the text classifier trains a tokenizer, and only on the user's own texts.
    const vit = await cli(
      ...['finetune', 'vit', '--from', VIT_RELEASE, '--data', data, '--train-tokenizer'],
      ...['--out', join(dir, 'no-vit')],
    );
    expect(vit.code).not.toBe(0);
    expect(vit.stderr).toMatch(/--train-tokenizer is an option of text-classifier, translator, not of vit/);
    const vocab = await cli(
      ...['finetune', 'text-classifier', '--from', TEXT_RELEASE, '--data', data, '--vocab', '48'],
      ...['--out', join(dir, 'no-tok')],
    );
    expect(vocab.code).not.toBe(0);
    expect(vocab.stderr).toMatch(
      /--vocab sets the size of a trained tokenizer: pass it with --train-tokenizer/,
    );
  }, 600_000);

  it('--train-tokenizer with --resume: the run killed after an epoch continues with the tokenizer its checkpoint was trained for', async () => {
    const data = join(dir, 'reviews-resume.csv');
    await writeFile(data, reviewsCsv());
    const out = join(dir, 'mine-resume');
    const args = [
      ...['finetune', 'text-classifier', '--from', TEXT_RELEASE, '--data', data, '--text-column', 'review'],
      ...['--label-column', 'sentiment', '--train-tokenizer', '--vocab', '48', '--epochs', '6'],
      ...['--batch-size', '16', '--backend', 'wasm', '--out', out],
    ];
    // node with tsx's loader: a SIGKILL then ends the process that trains (commands.test.ts says why).
    const tsxLoader = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
    const child = spawn(
      process.execPath,
      ['--import', tsxLoader, '--conditions=@attnzoo/source', join(here, 'bin.ts'), ...args],
      { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const checkpoints = `${out}.checkpoints`;
    for (;;) {
      if (existsSync(join(checkpoints, 'last.json'))) {
        child.kill('SIGKILL');
        break;
      }
      if (child.exitCode !== null) throw new Error(`the child exited before a checkpoint: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await exited).toBe(null);
    const kept = await readFile(join(checkpoints, 'tokenizer.model'));
    // Other texts now: a tokenizer trained again would differ from the one the checkpoint needs.
    await writeFile(data, reviewsCsv().replaceAll('part', 'chapter').replaceAll('film', 'movie'));
    const r = await cli(...args, '--resume', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).resumedAfterEpoch).toBeGreaterThanOrEqual(1);
    expect(await readFile(join(out, 'tokenizer.model'))).toEqual(kept);
  }, 600_000);

  it("evaluates a release on the user's labels by name, and refuses labels the model does not predict", async () => {
    const named = join(dir, 'named.csv');
    await writeFile(
      named,
      reviewsCsv().replaceAll(',unhappy', ',negative').replaceAll(',happy', ',positive'),
    );
    const ok = await cli(
      ...['evaluate', 'text-classifier', '--from', TEXT_RELEASE, '--data', named, '--text-column', 'review'],
      ...['--label-column', 'sentiment', '--backend', 'wasm', '--json'],
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).count).toBe(8);
    const odd = join(dir, 'odd.csv');
    await writeFile(odd, reviewsCsv().replaceAll(',unhappy', ',negative').replaceAll(',happy', ',glad'));
    const bad = await cli(
      ...['evaluate', 'text-classifier', '--from', TEXT_RELEASE, '--data', odd, '--text-column', 'review'],
      ...['--label-column', 'sentiment', '--backend', 'wasm'],
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(
      /has labels the model does not predict: glad \(the model's: negative, positive\)/,
    );
  }, 120_000);

  it('names the missing column and the flag that picks it, before any model is trained', async () => {
    const data = join(dir, 'cols.csv');
    await writeFile(data, reviewsCsv());
    const e = await cli(
      'evaluate',
      'text-classifier',
      '--from',
      TEXT_RELEASE,
      '--data',
      data,
      '--backend',
      'wasm',
    );
    expect(e.code).not.toBe(0);
    expect(e.stderr).toMatch(
      /no text column "text" in the header \[id, review, sentiment\]; pass --text-column/,
    );
  }, 120_000);
});

/** A 20×20 grey PNG: a bright bar, horizontal or vertical, at a seeded place. */
function bar(vertical: boolean, k: number): Uint8Array {
  const data = new Uint8Array(20 * 20);
  const at = 4 + (k % 12);
  for (let y = 0; y < 20; y++)
    for (let x = 0; x < 20; x++)
      data[y * 20 + x] = (vertical ? Math.abs(x - at) < 2 : Math.abs(y - at) < 2) ? 230 : 20;
  return greyPng(data, 20, 20);
}

describe('attnzoo finetune / evaluate vit on your own images', () => {
  it('a folder per class: a new head named by the folders, small images enlarged with a warning; a CSV of path,label reads the same', async () => {
    const folder = join(dir, 'bars');
    const rows = ['path,label'];
    for (const [cls, vertical] of [
      ['across', false],
      ['down', true],
    ] as const) {
      await mkdir(join(folder, cls), { recursive: true });
      for (let k = 0; k < 20; k++) {
        await writeFile(join(folder, cls, `${k}.png`), bar(vertical, k));
        rows.push(`bars/${cls}/${k}.png,${cls}`);
      }
    }
    const out = join(dir, 'bars-vit');
    const f = await cli(
      ...['finetune', 'vit', '--from', VIT_RELEASE, '--data', folder, '--epochs', '3', '--batch-size', '8'],
      ...['--lr', '1e-3', '--backend', 'wasm', '--out', out, '--json'],
    );
    expect(f.code, f.stderr).toBe(0);
    expect(f.stderr).toMatch(/warning: 40 image\(s\) .* smaller than the model's 28×28 and were enlarged/);
    const r = JSON.parse(f.stdout);
    expect(r.newHead).toBe(true);
    expect([r.trainExamples, r.testExamples]).toEqual([36, 4]);
    const csv = join(dir, 'bars.csv');
    await writeFile(csv, `${rows.join('\n')}\n`);
    const e = await cli('evaluate', 'vit', '--from', out, '--data', csv, '--backend', 'wasm', '--json');
    expect(e.code, e.stderr).toBe(0);
    const ev = JSON.parse(e.stdout);
    // The CSV lists the same images and labels: the same seeded split, the same test figure.
    expect(ev.count).toBe(4);
    expect(ev.metric.value).toBeCloseTo(r.metric.value, 6);
    const photo = join(dir, 'photo.png');
    await writeFile(photo, bar(true, 3));
    const p = await cli('predict', 'vit', '--from', out, '--backend', 'wasm', '--json', photo);
    expect(p.code, p.stderr).toBe(0);
    expect(['across', 'down']).toContain(JSON.parse(p.stdout)[0].label);
    // The image preset as a release package: the vit model package is its peer, and the package
    // folder is a preset source that evaluates as the preset did.
    const pkg = join(dir, 'my-bars-package');
    const w = await cli('release', 'package', out, '--name', 'my-bars', '--version', '0.2.0', '--out', pkg);
    expect(w.code, w.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8'))).toMatchObject({
      name: 'my-bars',
      version: '0.2.0',
      files: ['preset', 'README.md'],
      peerDependencies: { '@attnzoo/vit': expect.stringMatching(/^\^\d/) },
    });
    expect(await readFile(join(pkg, 'README.md'), 'utf8')).toContain(
      "await ImageClassifier.fromPretrained('my-bars')",
    );
    const again = await cli('evaluate', 'vit', '--from', pkg, '--data', csv, '--backend', 'wasm', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).metric.value).toBeCloseTo(r.metric.value, 6);
    const bad = await cli('release', 'package', folder, '--name', 'Not A Name', '--out', join(dir, 'x'));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--name "Not A Name" is not an npm package name/);
    const notPreset = await cli('release', 'package', folder, '--name', 'x', '--out', join(dir, 'x'));
    expect(notPreset.stderr).toMatch(
      /is not a preset folder \(no config.json\): pass the --out folder of attnzoo finetune/,
    );
  }, 600_000);

  it("--strict: an image far from the model's size or channels is an error naming it, the model's input and the fix; without it a warning", async () => {
    const tiny = join(dir, 'tiny.png');
    await writeFile(tiny, greyPng(new Uint8Array(36).fill(200), 6, 6));
    const colour = join(dir, 'colour.png');
    await writeFile(colour, greyPng(new Uint8Array(28 * 28 * 3).fill(90), 28, 28, 3));
    const warned = await cli('predict', 'vit', '--from', VIT_RELEASE, '--backend', 'wasm', '--json', tiny);
    expect(warned.code, warned.stderr).toBe(0);
    expect(JSON.parse(warned.stdout)[0].warning).toMatch(/6×6, far smaller than the model's 28×28/);
    const small = await cli('predict', 'vit', '--from', VIT_RELEASE, '--backend', 'wasm', '--strict', tiny);
    expect(small.code).not.toBe(0);
    expect(small.stderr).toContain(
      `${tiny} is 6×6 with 1 channel(s) (grey), the model takes 28×28 with 1 (grey); resize or convert it to 28×28 grey, or drop --strict`,
    );
    const rgb = await cli('predict', 'vit', '--from', VIT_RELEASE, '--backend', 'wasm', '--strict', colour);
    expect(rgb.code).not.toBe(0);
    expect(rgb.stderr).toContain(
      `${colour} is 28×28 with 3 channel(s) (colour), the model takes 28×28 with 1 (grey)`,
    );
    // Own data: one such image among the class folders.
    const folder = join(dir, 'digits');
    for (const cls of ['0', '1']) {
      await mkdir(join(folder, cls), { recursive: true });
      for (let k = 0; k < 10; k++) await writeFile(join(folder, cls, `${k}.png`), bar(cls === '1', k));
    }
    await writeFile(join(folder, '1', 'tiny.png'), greyPng(new Uint8Array(36).fill(200), 6, 6));
    const ok = await cli(
      'evaluate',
      'vit',
      '--from',
      VIT_RELEASE,
      '--data',
      folder,
      '--backend',
      'wasm',
      '--json',
    );
    expect(ok.code, ok.stderr).toBe(0);
    const strictEval = await cli(
      ...['evaluate', 'vit', '--from', VIT_RELEASE, '--data', folder, '--backend', 'wasm', '--strict'],
    );
    expect(strictEval.code).not.toBe(0);
    expect(strictEval.stderr).toContain(
      `image ${join(folder, '1', 'tiny.png')} is 6×6 with 1 channel(s) (grey), the model takes 28×28 with 1 (grey); resize or convert it`,
    );
    const strictTune = await cli(
      ...['finetune', 'vit', '--from', VIT_RELEASE, '--data', folder, '--backend', 'wasm', '--strict'],
      ...['--out', join(dir, 'strict-vit')],
    );
    expect(strictTune.code).not.toBe(0);
    expect(strictTune.stderr).toMatch(/tiny\.png is 6×6 .* or drop --strict/);
    // Texts have no image to refuse.
    const text = await cli(
      ...['evaluate', 'text-classifier', '--from', TEXT_RELEASE, '--data', 'x.csv', '--strict'],
    );
    expect(text.code).not.toBe(0);
    expect(text.stderr).toMatch(/--strict .* is an option of vit, not of text-classifier/);
  }, 300_000);
});

describe('docs/fine-tuning.md', () => {
  it("every command of the guide is one the tests run: its command words and every flag appear in a test's call", async () => {
    const guide = await readFile(join(root, 'docs/fine-tuning.md'), 'utf8');
    const tests = (
      await Promise.all(
        ['apps/cli/src/own-data.test.ts', 'apps/cli/src/commands.test.ts'].map((f) =>
          readFile(join(root, f), 'utf8'),
        ),
      )
    )
      .join('\n')
      .replace(/\s+/g, ' ');
    const commands = [...guide.matchAll(/```sh\n([\s\S]*?)```/g)]
      .flatMap((m) => m[1].replace(/\\\n\s*/g, ' ').split('\n'))
      .map((l) => l.trim())
      .filter((l) => /^(attnzoo|npm) /.test(l));
    expect(commands.length).toBeGreaterThan(15);
    const missing: string[] = [];
    for (const line of commands) {
      const words = line.split(/\s+/).slice(1);
      const first = words.findIndex((w) => w.startsWith('-'));
      // The sub-command words as the tests write them: 'finetune', 'text-classifier'; npm('pack' ...
      const head = words.slice(0, Math.min(first < 0 ? words.length : first, line.startsWith('npm') ? 1 : 2));
      const quoted = head.filter((w) => /^[a-z-]+$/.test(w)).map((w) => `'${w}'`);
      const call = quoted.join(', ');
      if (!tests.includes(call)) missing.push(`${line} (${call})`);
      for (const flag of words.filter((w) => w.startsWith('--')))
        if (!tests.includes(`'${flag}'`)) missing.push(`${line} (${flag})`);
    }
    expect(missing).toEqual([]);
  });
});
