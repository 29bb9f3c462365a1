import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset, type TextSplit } from '@attnzoo/datasets/node';
import { AMAZON as AMAZON_FILE, IMDB as IMDB_FILE, testData } from '@attnzoo/fixtures';
import { type SentencePieceTokenizer, trainSentencePiece } from '@attnzoo/tokenizer/node';
import { DEFAULT_PREPROCESSOR } from '../config';
import { cleanText } from '../preprocessor';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
// The full archives when present, else the committed slices (packages/fixtures).
export const IMDB = testData.file(IMDB_FILE);
export const AMAZON = testData.file(AMAZON_FILE);

/** `count` examples spread evenly over a split (IMDB's splits are sorted by label); all of them when fewer. */
export function spread(s: TextSplit, count: number): TextSplit {
  const n = s.texts.length;
  const idx = Array.from({ length: Math.min(count, n) }, (_, i) => Math.floor((i * n) / Math.min(count, n)));
  return { ...s, texts: idx.map((i) => s.texts[i]), labels: Int32Array.from(idx, (i) => s.labels[i]) };
}

let imdbCache: Promise<{ train: TextSplit; test: TextSplit }> | undefined;
export function imdb(): Promise<{ train: TextSplit; test: TextSplit }> {
  imdbCache ??= (async () => {
    const d = await loadDataset('imdb', { source: IMDB, validationFraction: 0 });
    return { train: d.train as TextSplit, test: d.test as TextSplit };
  })();
  return imdbCache;
}

/** A small real SentencePiece model (spm_train on IMDB train reviews), in a temp folder. */
export async function smallTokenizer(
  vocabSize = 500,
  reviews = 800,
): Promise<{ tokenizer: SentencePieceTokenizer; modelPath: string; dir: string }> {
  const { train } = await imdb();
  const dir = mkdtempSync(join(tmpdir(), 'attnzoo-textcls-'));
  const { tokenizer, modelPath } = await trainSentencePiece({
    inputTexts: spread(train, reviews).texts.map((t) => cleanText(t, DEFAULT_PREPROCESSOR)),
    vocabSize,
    modelPrefix: join(dir, `imdb-${vocabSize}`),
  });
  return { tokenizer, modelPath, dir };
}
