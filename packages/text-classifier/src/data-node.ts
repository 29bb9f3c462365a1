// Node data loading for text classification: the release data sets (IMDB, Amazon multi-domain,
// Amazon polarity) from their archives, pre-tokenized files, or the user's own labelled texts
// (CSV/TSV, JSONL, a folder per class), encoded for a classifier.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  type LabelledTextOptions,
  labelledTextFormat,
  loadDataset,
  loadLabelledTexts,
  type TextSplit,
} from '@attnzoo/datasets/node';
import { SentencePieceTokenizer } from '@attnzoo/tokenizer';
import type { TextPreprocessorConfig } from './config';
import type { EncodedTexts } from './data';
import { TextPreprocessor } from './preprocessor';
import { type ReleaseDataset, SPLIT_NOTES } from './presets';
import { decodePretokenized, isPretokenized } from './pretokenized';

/** The Amazon polarity test head read beside the multi-domain archive when present. */
export const POLARITY_FILE = 'amazon-polarity-test-head.ft.txt.gz';

/** Which registered data set a file is, from its name. */
export function datasetOfFile(path: string): ReleaseDataset | 'amazon-polarity-fasttext' {
  const b = basename(path).toLowerCase();
  if (b.includes('imdb')) return 'imdb';
  if (b.includes('multidomain') || b.includes('sorted_data') || b.includes('unprocessed'))
    return 'amazon-multidomain';
  if (b.includes('polarity') || b.includes('.ft.txt')) return 'amazon-polarity-fasttext';
  throw new Error(
    `cannot tell the data set of ${path} from its name: expected IMDB (aclImdb*.tar.gz), Amazon multi-domain (*multidomain*.tar.gz) or Amazon polarity (*.ft.txt[.gz])`,
  );
}

/** Train / validation / test of a release data set (splits documented in SPLIT_NOTES). */
export async function loadTextSplits(
  path: string,
): Promise<{ dataset: string; splits: Record<string, TextSplit> }> {
  const dataset = datasetOfFile(path);
  if (dataset === 'amazon-polarity-fasttext') {
    const d = await loadDataset(dataset, { source: path, split: 'test' });
    return { dataset, splits: { test: d.test as TextSplit } };
  }
  const d = await loadDataset(dataset, {
    source: path,
    seed: 42,
    validationFraction: 0.1,
    testFraction: 0.1,
  });
  return {
    dataset,
    splits: { train: d.train as TextSplit, validation: d.validation as TextSplit, test: d.test as TextSplit },
  };
}

export async function sha256Bytes(bytes: Uint8Array): Promise<string> {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface TrainingData {
  dataset: string;
  splitNote: string;
  splits: Record<string, EncodedTexts>;
  tokenizerBytes: Uint8Array;
  preprocessor: TextPreprocessorConfig;
  classNames: string[];
}

/** Every split's texts encoded with the tokenizer and preprocessor settings. */
async function encodeSplits(
  splits: Record<string, TextSplit>,
  tokenizerBytes: Uint8Array,
  config: TextPreprocessorConfig,
): Promise<Record<string, EncodedTexts>> {
  const tok = await SentencePieceTokenizer.fromBytes(tokenizerBytes);
  const pre = new TextPreprocessor(tok, config);
  const out: Record<string, EncodedTexts> = {};
  for (const [name, s] of Object.entries(splits)) {
    const b = pre.encode(s.texts);
    out[name] = { ids: b.ids, labels: s.labels, count: b.count, maxLength: b.maxLength };
  }
  tok.dispose();
  return out;
}

/** Reads pre-tokenized data (.bin, .bin.gz) or a raw data set archive encoded with `tokenizer`. */
export async function loadTrainingData(
  data: string,
  o: {
    tokenizer?: string;
    /** The tokenizer the data must be (or be encoded) with, e.g. a loaded classifier's. */
    tokenizerBytes?: Uint8Array;
    preprocessor: TextPreprocessorConfig;
    polarity?: string;
    /** Own data: which columns / keys hold the text and the label (default 'text', 'label'). */
    columns?: LabelledTextOptions;
    /** Own data: the seed of the stratified 90 / 10 train / test split (default 42). */
    seed?: number;
  },
): Promise<TrainingData> {
  const given = o.tokenizerBytes ?? (o.tokenizer ? new Uint8Array(readFileSync(o.tokenizer)) : undefined);
  const own = await labelledTextFormat(data);
  if (own) {
    if (!given)
      throw new Error(
        `${data} holds raw texts: pass --tokenizer <model> (or a preset, whose tokenizer is used)`,
      );
    const seed = o.seed ?? 42;
    const d = await loadLabelledTexts(data, { ...o.columns, seed, testFraction: 0.1 });
    const out = await encodeSplits({ train: d.train, test: d.test }, given, o.preprocessor);
    return {
      dataset: d.dataset,
      splitNote: `${d.train.texts.length + d.test.texts.length} labelled texts (${d.format}), a seeded stratified split (seed ${seed}): 10 % of each class for test, the rest for training`,
      splits: out,
      tokenizerBytes: given,
      preprocessor: o.preprocessor,
      classNames: [...d.train.classNames],
    };
  }
  let raw = new Uint8Array(readFileSync(data));
  if (raw[0] === 0x1f && raw[1] === 0x8b && /\.bin\.gz$/.test(data)) raw = new Uint8Array(gunzipSync(raw));
  if (isPretokenized(raw)) {
    const p = decodePretokenized(raw);
    const h = p.header;
    const want = o.preprocessor;
    if (
      h.maxLength !== want.maxLength ||
      h.preprocessor.addBos !== want.addBos ||
      h.preprocessor.truncation !== want.truncation
    ) {
      throw new Error(
        `${data} was pre-tokenized for maxLength ${h.maxLength}, addBos ${h.preprocessor.addBos}, truncation ${h.preprocessor.truncation}; ` +
          `this run needs ${want.maxLength}, ${want.addBos}, ${want.truncation}: run pretokenize again with those settings`,
      );
    }
    let tokenizerBytes = p.tokenizer;
    if (given) {
      tokenizerBytes = given;
      if ((await sha256Bytes(given)) !== h.tokenizerSha256) {
        throw new Error(
          `${data} was pre-tokenized with another tokenizer than the model's (sha256 differs): ` +
            "pretokenize it with this model's tokenizer.model, or pass the raw data set",
        );
      }
    }
    return {
      dataset: h.dataset,
      splitNote: h.splitNote,
      splits: p.splits,
      tokenizerBytes,
      preprocessor: h.preprocessor,
      classNames: h.classNames,
    };
  }
  if (!given) throw new Error(`${data} is a raw data set: pass --tokenizer <model> (or pre-tokenize it)`);
  const tokenizerBytes = given;
  const { dataset, splits } = await loadTextSplits(data);
  const polarity = o.polarity ?? join(dirname(data), POLARITY_FILE);
  if (dataset === 'amazon-multidomain' && existsSync(polarity)) {
    splits['polarity-test'] = (await loadTextSplits(polarity)).splits.test;
  }
  const out = await encodeSplits(splits, tokenizerBytes, o.preprocessor);
  return {
    dataset,
    splitNote: SPLIT_NOTES[dataset as ReleaseDataset] ?? dataset,
    splits: out,
    tokenizerBytes,
    preprocessor: o.preprocessor,
    classNames: [...(Object.values(splits)[0].classNames ?? [])],
  };
}
