import { loadDataset, type TextSplit } from '@attnzoo/datasets/node';
import { IMDB, testData } from '@attnzoo/fixtures';

/** The IMDB archive the tests read: the full one when present, else the committed slice (packages/fixtures). */
export const IMDB_SOURCE = testData.file(IMDB);

/** IMDB's `<br />` markup and runs of whitespace, as the classifier's preprocessor also removes them. */
export function plainReview(text: string): string {
  return text
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * `count` reviews spread evenly over an official IMDB split (both labels), cleaned of markup;
 * all of them when the split holds fewer (the fixture slice has 800 train and 500 test reviews).
 */
export async function imdbSample(split: 'train' | 'test', count: number): Promise<string[]> {
  const d = await loadDataset('imdb', { source: IMDB_SOURCE, split, validationFraction: 0 });
  const s = d[split] as TextSplit;
  const step = Math.max(1, Math.floor(s.texts.length / count));
  const out: string[] = [];
  for (let i = 0; i < s.texts.length && out.length < count; i += step) out.push(plainReview(s.texts[i]));
  return out;
}
