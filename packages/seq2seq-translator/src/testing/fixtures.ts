import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { archiveEntries, readAnki } from '@attnzoo/datasets/node';
import { ANKI, testData } from '@attnzoo/fixtures';
import { type SentencePieceTokenizer, trainSentencePiece } from '@attnzoo/tokenizer/node';
import type { ParallelCorpus } from '../data';

/** The Anki pairs the tests read: the full spa-eng.zip when present, else the committed slice (packages/fixtures). */
export const ANKI_ZIP = testData.file(ANKI);
export const MODELS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../models');

export async function ankiPairs(limit?: number): Promise<ParallelCorpus> {
  const s = await readAnki(await archiveEntries(ANKI_ZIP), { limit });
  return { source: s.source, target: s.target };
}

/** A small shared SentencePiece model trained (spm_train) on the given pairs. */
export async function tinyTokenizer(
  corpus: ParallelCorpus,
  vocabSize = 400,
): Promise<SentencePieceTokenizer> {
  const dir = await mkdtemp(join(tmpdir(), 'attnzoo-s2s-spm-'));
  const trained = await trainSentencePiece({
    inputTexts: [...corpus.source, ...corpus.target],
    vocabSize,
    modelPrefix: join(dir, 'tok'),
    characterCoverage: 1,
  });
  return trained.tokenizer;
}
