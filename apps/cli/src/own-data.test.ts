import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './testing/run-cli';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TEXT_RELEASE = join(root, 'models/textcls-imdb-super');

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
    expect([r.trainExamples, r.testExamples]).toEqual([72, 8]);
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
  }, 600_000);

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
