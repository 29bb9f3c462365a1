import { DatasetError } from './errors';
import { type ByteSource, readAll } from './parsers/bytes';
import { maybeGunzip } from './parsers/gzip';
import type { ArchiveEntry } from './parsers/tar';
import { parseFastText } from './parsers/text';
import {
  collectTexts,
  type OfficialSplit,
  readAmazonPolarityCsv,
  readAnki,
  readBlitzer,
  readCifarBinary,
  readEuroparl,
  readIdxImages,
  readImdb,
  readJpegFolders,
} from './readers';
import { getDataset } from './registry';
import { type DatasetSplits, deriveSplits, type SplitPlan, splitSize } from './splits';
import type { Split, SplitName } from './types';

/** How a reader reaches the canonical files: Node (file system, cache, download) or a browser (fetch) implements it. */
export interface DatasetFiles {
  /** The bytes of a file, as stored (possibly gzipped). */
  open(fileName: string): Promise<ByteSource>;
  /** The files inside an archive (tar, tar.gz, zip) or an extracted folder, streamed. */
  entries(fileName: string): Promise<AsyncIterable<ArchiveEntry> | Iterable<ArchiveEntry>>;
}

export interface ReadDatasetOptions extends SplitPlan {
  /** Return only this split (others are not decoded where the layout allows). */
  split?: SplitName;
  /** Keep at most this many examples per official split (archive order), for quick looks and tests. */
  limit?: number;
}

/** Official splits read from the canonical layout; `all` where the data set has no official split. */
export type RawSplits = Partial<Record<OfficialSplit | 'all', Split>>;

async function readRaw(
  name: string,
  files: DatasetFiles,
  need: OfficialSplit[],
  limit?: number,
): Promise<RawSplits> {
  const e = getDataset(name);
  const opts = { splits: need, limit };
  switch (e.name) {
    case 'mnist':
    case 'fashion-mnist': {
      const out: RawSplits = {};
      for (const s of need) {
        const p = s === 'train' ? 'train' : 't10k';
        const imgName = `${p}-images-idx3-ubyte.gz`;
        const labName = `${p}-labels-idx1-ubyte.gz`;
        const split = readIdxImages(
          await readAll(await files.open(imgName)),
          await readAll(await files.open(labName)),
          [imgName, labName],
          limit,
        );
        split.classNames = e.classNames;
        out[s] = split;
      }
      return out;
    }
    case 'cifar-10':
    case 'cifar-100':
      return readCifarBinary(
        await files.entries(e.files[0].name),
        e.name === 'cifar-10' ? 'cifar10' : 'cifar100',
        opts,
      );
    case 'cifar-10-jpeg':
      return readJpegFolders(await files.entries(e.files[0].name), { ...opts, classNames: e.classNames });
    case 'imdb':
      return readImdb(await files.entries(e.files[0].name), opts);
    case 'amazon-polarity':
      return readAmazonPolarityCsv(await files.entries(e.files[0].name), opts);
    case 'amazon-polarity-fasttext': {
      const out: RawSplits = {};
      for (const s of need) {
        const f = `${s}.ft.txt`;
        out[s] = await collectTexts(parseFastText(maybeGunzip(await files.open(f), f), f), limit);
      }
      return out;
    }
    case 'amazon-multidomain':
      return { all: await readBlitzer(await files.entries(e.files[0].name), { limit }) };
    case 'anki-spa-eng':
      return { all: await readAnki(await files.entries(e.files[0].name), { limit }) };
    case 'europarl-es-en':
      return { all: await readEuroparl(await files.entries(e.files[0].name), { limit }) };
    default:
      throw new DatasetError('UNKNOWN_DATASET', `no reader for data set "${name}"`);
  }
}

/**
 * Reads a data set through `files` and returns deterministic train / validation / test splits
 * (official test split where there is one). Throws EMPTY_SPLIT when a returned split holds no example.
 */
export async function readDataset(
  name: string,
  files: DatasetFiles,
  opts: ReadDatasetOptions = {},
): Promise<Partial<DatasetSplits>> {
  const entry = getDataset(name);
  if (opts.split !== undefined && !['train', 'validation', 'test'].includes(opts.split)) {
    throw new DatasetError('UNKNOWN_SPLIT', `unknown split "${opts.split}"; use train, validation or test`);
  }
  const need: OfficialSplit[] =
    !entry.officialTest || opts.split === undefined
      ? ['train', 'test']
      : opts.split === 'test'
        ? ['test']
        : ['train'];
  const raw = await readRaw(name, files, need, opts.limit);
  let splits: Partial<DatasetSplits>;
  if (raw.all) {
    splits = deriveSplits(raw.all, undefined, opts);
  } else if (opts.split === 'test') {
    splits = { test: raw.test };
  } else {
    const d = deriveSplits(raw.train!, raw.test ?? raw.train!, opts);
    splits = { train: d.train, validation: d.validation, test: raw.test };
  }
  const wanted: SplitName[] = opts.split ? [opts.split] : ['train', 'validation', 'test'];
  const out: Partial<DatasetSplits> = {};
  for (const s of wanted) {
    const sp = splits[s];
    // a split whose fraction was set to 0 is simply left out unless it was asked for by name
    if (!opts.split && s === 'validation' && opts.validationFraction === 0) continue;
    if (!opts.split && s === 'test' && !entry.officialTest && opts.testFraction === 0) continue;
    if (!sp || splitSize(sp) === 0) {
      throw new DatasetError(
        'EMPTY_SPLIT',
        `split "${s}" of ${name} is empty: the source holds no example for it (layout: ${entry.layout})` +
          (s === 'validation' ? '; set validationFraction > 0' : '; check --source / the archive contents'),
      );
    }
    out[s] = sp;
  }
  return out;
}
