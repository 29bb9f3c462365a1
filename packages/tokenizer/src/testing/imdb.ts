import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset, type TextSplit } from '@attnzoo/datasets/node';

export const IMDB_SOURCE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../../shared/data/aclImdb_v1-labelled.tar.gz',
);

/** IMDB's `<br />` markup and runs of whitespace, as the classifier's preprocessor also removes them. */
export function plainReview(text: string): string {
  return text
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** `count` reviews spread evenly over an official IMDB split (both labels), cleaned of markup. */
export async function imdbSample(split: 'train' | 'test', count: number): Promise<string[]> {
  const d = await loadDataset('imdb', { source: IMDB_SOURCE, split, validationFraction: 0 });
  const s = d[split] as TextSplit;
  const step = Math.max(1, Math.floor(s.texts.length / count));
  const out: string[] = [];
  for (let i = 0; i < s.texts.length && out.length < count; i += step) out.push(plainReview(s.texts[i]));
  return out;
}
