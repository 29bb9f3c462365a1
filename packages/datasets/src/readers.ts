import { DatasetError } from './errors';
import { checkDeclaredSize } from './limits';
import { ByteReader, type ByteSource, lines } from './parsers/bytes';
import { CIFAR10_CLASSES, type CifarVariant } from './parsers/cifar';
import { parseIdx } from './parsers/idx';
import { decodeJpegRgb } from './parsers/jpeg';
import type { ArchiveEntry } from './parsers/tar';
import {
  alignLines,
  type LabelledText,
  type PairStats,
  parseAmazonPolarityCsv,
  parseAnkiTsv,
  parseBlitzerReviews,
} from './parsers/text';
import type { ImageSplit, PairSplit, TextSplit } from './types';

export type OfficialSplit = 'train' | 'test';
export type Entries = AsyncIterable<ArchiveEntry> | Iterable<ArchiveEntry>;

export interface ReadOptions {
  /** Official splits to keep; entries of other splits are skipped without decoding. Default: all. */
  splits?: readonly OfficialSplit[];
  /** Keep at most this many examples per split (archive order); reading stops early when every split is full. */
  limit?: number;
}

function getOr<K extends string, V>(m: Partial<Record<K, V>>, k: K, make: () => V): V {
  const v = m[k];
  if (v !== undefined) return v as V;
  const made = make();
  m[k] = made;
  return made;
}

function wanted(opts: ReadOptions | undefined, s: OfficialSplit): boolean {
  return !opts?.splits || opts.splits.includes(s);
}

/** MNIST-family split from the bytes of an IDX images file and an IDX labels file (raw or gzipped). */
export function readIdxImages(
  images: Uint8Array,
  labels: Uint8Array,
  names = ['images', 'labels'],
  limit?: number,
): ImageSplit {
  const im = parseIdx(images, names[0]);
  const lb = parseIdx(labels, names[1]);
  if (im.shape.length !== 3) {
    throw new DatasetError(
      'CORRUPT',
      `${names[0]}: expected a 3-d IDX images file (count, rows, cols), got shape [${im.shape.join(', ')}]; are images and labels swapped?`,
    );
  }
  if (lb.shape.length !== 1) {
    throw new DatasetError(
      'CORRUPT',
      `${names[1]}: expected a 1-d IDX labels file, got shape [${lb.shape.join(', ')}]; are images and labels swapped?`,
    );
  }
  if (im.shape[0] !== lb.shape[0]) {
    throw new DatasetError(
      'CORRUPT',
      `${names[0]} holds ${im.shape[0]} images but ${names[1]} holds ${lb.shape[0]} labels; the files do not belong together`,
    );
  }
  const [n0, h, w] = im.shape;
  const n = limit !== undefined ? Math.min(limit, n0) : n0;
  return {
    kind: 'images',
    images: im.data.subarray(0, n * h * w),
    labels: lb.data.subarray(0, n),
    count: n,
    height: h,
    width: w,
    channels: 1,
  };
}

/** Growable uint8 image store: doubles its capacity, trimmed at the end. */
class ImageBuilder {
  private buf: Uint8Array;
  private lab: Uint8Array;
  count = 0;
  constructor(
    readonly height: number,
    readonly width: number,
    readonly channels: number,
    capacity = 1024,
  ) {
    this.buf = new Uint8Array(capacity * height * width * channels);
    this.lab = new Uint8Array(capacity);
  }
  push(pixels: Uint8Array, label: number): void {
    const sz = this.height * this.width * this.channels;
    if (pixels.length !== sz)
      throw new DatasetError('CORRUPT', `image has ${pixels.length} bytes, expected ${sz}`);
    if (this.count === this.lab.length) {
      const nb = new Uint8Array(this.buf.length * 2);
      nb.set(this.buf);
      this.buf = nb;
      const nl = new Uint8Array(this.lab.length * 2);
      nl.set(this.lab);
      this.lab = nl;
    }
    this.buf.set(pixels, this.count * sz);
    this.lab[this.count++] = label;
  }
  build(classNames?: readonly string[]): ImageSplit {
    const sz = this.height * this.width * this.channels;
    return {
      kind: 'images',
      images: this.buf.slice(0, this.count * sz),
      labels: this.lab.slice(0, this.count),
      count: this.count,
      height: this.height,
      width: this.width,
      channels: this.channels,
      ...(classNames ? { classNames } : {}),
    };
  }
}

class TextBuilder {
  texts: string[] = [];
  labels: number[] = [];
  ratings: number[] = [];
  domains: string[] = [];
  push(t: LabelledText, domain?: string): void {
    this.texts.push(t.text);
    this.labels.push(t.label);
    if (t.rating !== undefined) this.ratings.push(t.rating);
    if (domain !== undefined) this.domains.push(domain);
  }
  build(classNames: readonly string[]): TextSplit {
    const s: TextSplit = {
      kind: 'text',
      texts: this.texts,
      labels: Int32Array.from(this.labels),
      classNames,
    };
    if (this.ratings.length === this.texts.length && this.texts.length > 0)
      s.ratings = Int32Array.from(this.ratings);
    if (this.domains.length === this.texts.length && this.texts.length > 0) s.domains = this.domains;
    return s;
  }
}

const decoder = new TextDecoder('utf-8');

export const SENTIMENT_CLASSES = ['negative', 'positive'] as const;

/**
 * IMDB (aclImdb_v1 layout): `aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt`. Other entries (unsup,
 * vocab, feat files) are skipped. Each review is decoded as it streams past: only one copy of the text is held.
 */
export async function readImdb(
  entries: Entries,
  opts?: ReadOptions,
): Promise<Partial<Record<OfficialSplit, TextSplit>>> {
  const builders: Partial<Record<OfficialSplit, TextBuilder>> = {};
  const re = /(?:^|\/)(train|test)\/(pos|neg)\/(\d+)_(\d+)\.txt$/;
  const full = (s: OfficialSplit) =>
    opts?.limit !== undefined && (builders[s]?.texts.length ?? 0) >= opts.limit;
  const splits: OfficialSplit[] = (opts?.splits as OfficialSplit[] | undefined) ?? ['train', 'test'];
  for await (const e of entries as AsyncIterable<ArchiveEntry>) {
    const m = re.exec(e.path);
    if (!m) continue;
    const split = m[1] as OfficialSplit;
    if (!wanted(opts, split) || full(split)) {
      if (splits.every(full)) break;
      continue;
    }
    const b = getOr(builders, split, () => new TextBuilder());
    b.push({ text: decoder.decode(await e.bytes()), label: m[2] === 'pos' ? 1 : 0, rating: Number(m[4]) });
  }
  const out: Partial<Record<OfficialSplit, TextSplit>> = {};
  for (const s of splits) out[s] = (builders[s] ?? new TextBuilder()).build(SENTIMENT_CLASSES);
  return out;
}

/**
 * CIFAR-style JPEG class folders: `{train,test}/<class>/<name>.jpg` (any leading folders). Labels follow
 * `classNames` (CIFAR-10 order by default); an unknown class folder is an error.
 */
export async function readJpegFolders(
  entries: Entries,
  opts?: ReadOptions & { classNames?: readonly string[]; height?: number; width?: number },
): Promise<Partial<Record<OfficialSplit, ImageSplit>>> {
  const classNames = opts?.classNames ?? CIFAR10_CLASSES;
  const h = opts?.height ?? 32;
  const w = opts?.width ?? 32;
  const builders: Partial<Record<OfficialSplit, ImageBuilder>> = {};
  const splits: OfficialSplit[] = (opts?.splits as OfficialSplit[] | undefined) ?? ['train', 'test'];
  const full = (s: OfficialSplit) => opts?.limit !== undefined && (builders[s]?.count ?? 0) >= opts.limit;
  const re = /(?:^|\/)(train|test)\/([^/]+)\/[^/]+\.jpe?g$/i;
  for await (const e of entries as AsyncIterable<ArchiveEntry>) {
    const m = re.exec(e.path);
    if (!m) continue;
    const split = m[1] as OfficialSplit;
    if (!wanted(opts, split) || full(split)) {
      if (splits.every(full)) break;
      continue;
    }
    const label = classNames.indexOf(m[2]);
    if (label < 0) {
      throw new DatasetError(
        'CORRUPT',
        `${e.path}: class folder "${m[2]}" is not one of ${classNames.join(', ')}; pass classNames for another data set`,
      );
    }
    const img = decodeJpegRgb(await e.bytes(), e.path);
    if (img.width !== w || img.height !== h) {
      throw new DatasetError('CORRUPT', `${e.path}: image is ${img.width}x${img.height}, expected ${w}x${h}`);
    }
    getOr(builders, split, () => new ImageBuilder(h, w, 3)).push(img.data, label);
  }
  const out: Partial<Record<OfficialSplit, ImageSplit>> = {};
  for (const s of splits) out[s] = (builders[s] ?? new ImageBuilder(h, w, 3, 1)).build(classNames);
  return out;
}

/**
 * CIFAR binary archives: CIFAR-10 `cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin`, CIFAR-100
 * `cifar-100-binary/{train,test}.bin`. Records are converted as they stream (no second copy of a batch).
 */
export async function readCifarBinary(
  entries: Entries,
  variant: CifarVariant,
  opts?: ReadOptions,
): Promise<Partial<Record<OfficialSplit, ImageSplit>>> {
  const labelBytes = variant === 'cifar10' ? 1 : 2;
  const rec = labelBytes + 3072;
  const parts: Partial<
    Record<OfficialSplit, { images: Uint8Array[]; labels: Uint8Array[]; coarse: Uint8Array[]; count: number }>
  > = {};
  const re =
    variant === 'cifar10' ? /(?:^|\/)(data_batch_\d|test_batch)\.bin$/ : /(?:^|\/)(train|test)\.bin$/;
  const maxLabel = variant === 'cifar10' ? 9 : 99;
  const splits: OfficialSplit[] = (opts?.splits as OfficialSplit[] | undefined) ?? ['train', 'test'];
  const full = (s: OfficialSplit) => opts?.limit !== undefined && (parts[s]?.count ?? 0) >= opts.limit;
  for await (const e of entries as AsyncIterable<ArchiveEntry>) {
    const m = re.exec(e.path);
    if (!m) continue;
    const split: OfficialSplit = m[1] === 'test_batch' || m[1] === 'test' ? 'test' : 'train';
    if (!wanted(opts, split) || full(split)) continue;
    if (e.size === 0 || e.size % rec !== 0) {
      throw new DatasetError(
        'CORRUPT',
        `${e.path}: ${e.size} bytes is not a whole number of ${variant === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} records (${rec} bytes each); wrong CIFAR variant or a corrupt archive`,
      );
    }
    const p = getOr(parts, split, () => ({
      images: [] as Uint8Array[],
      labels: [] as Uint8Array[],
      coarse: [] as Uint8Array[],
      count: 0,
    }));
    let n = e.size / rec;
    if (opts?.limit !== undefined) n = Math.min(n, opts.limit - p.count);
    // the size comes from the archive's header: checked before the batch's buffer is allocated
    checkDeclaredSize(e.path, n * 3072, 'maxFileBytes');
    const images = new Uint8Array(n * 3072);
    const labels = new Uint8Array(n);
    const coarse = new Uint8Array(variant === 'cifar100' ? n : 0);
    const r = new ByteReader(e.body());
    for (let i = 0; i < n; i++) {
      const b = (await r.readExact(rec, e.path))!;
      if (!b) throw new DatasetError('TRUNCATED', `${e.path}: truncated after ${i} records`);
      if (variant === 'cifar100') {
        if (b[0] > 19)
          throw new DatasetError(
            'CORRUPT',
            `${e.path}: record ${i} has coarse label ${b[0]} (> 19); wrong variant or corrupt file`,
          );
        coarse[i] = b[0];
      }
      const label = b[labelBytes - 1];
      if (label > maxLabel)
        throw new DatasetError(
          'CORRUPT',
          `${e.path}: record ${i} has label ${label} (> ${maxLabel}); wrong CIFAR variant or corrupt file`,
        );
      labels[i] = label;
      const dst = i * 3072;
      for (let j = 0; j < 1024; j++) {
        images[dst + j * 3] = b[labelBytes + j];
        images[dst + j * 3 + 1] = b[labelBytes + 1024 + j];
        images[dst + j * 3 + 2] = b[labelBytes + 2048 + j];
      }
    }
    await r.close();
    p.images.push(images);
    p.labels.push(labels);
    p.coarse.push(coarse);
    p.count += n;
  }
  const cat = (xs: Uint8Array[]) => {
    if (xs.length === 1) return xs[0];
    const out = new Uint8Array(xs.reduce((s, x) => s + x.length, 0));
    let o = 0;
    for (const x of xs) {
      out.set(x, o);
      o += x.length;
    }
    return out;
  };
  const out: Partial<Record<OfficialSplit, ImageSplit>> = {};
  for (const s of splits) {
    const p = parts[s] ?? { images: [], labels: [], coarse: [], count: 0 };
    const split: ImageSplit = {
      kind: 'images',
      images: cat(p.images),
      labels: cat(p.labels),
      count: p.count,
      height: 32,
      width: 32,
      channels: 3,
    };
    if (variant === 'cifar100') split.coarseLabels = cat(p.coarse);
    else split.classNames = CIFAR10_CLASSES;
    out[s] = split;
  }
  return out;
}

/**
 * Blitzer et al. multi-domain archive: `sorted_data_acl/<domain>/{positive,negative}.review`
 * (`unlabeled.review` is skipped). One split (no official test split); `domains` says where each review came from.
 */
export async function readBlitzer(
  entries: Entries,
  opts?: { limit?: number; domains?: readonly string[] },
): Promise<TextSplit> {
  const b = new TextBuilder();
  const re = /(?:^|\/)([^/]+)\/(positive|negative)\.review$/;
  for await (const e of entries as AsyncIterable<ArchiveEntry>) {
    const m = re.exec(e.path);
    if (!m) continue;
    if (opts?.domains && !opts.domains.includes(m[1])) continue;
    let taken = 0;
    for await (const r of parseBlitzerReviews(e.body(), e.path)) {
      if (opts?.limit !== undefined && taken >= opts.limit) break;
      b.push({ text: r.text, label: m[2] === 'positive' ? 1 : 0, rating: Math.round(r.rating) }, m[1]);
      taken++;
    }
  }
  return b.build(SENTIMENT_CLASSES);
}

/** Amazon Review Polarity CSV archive: `amazon_review_polarity_csv/{train,test}.csv`. */
export async function readAmazonPolarityCsv(
  entries: Entries,
  opts?: ReadOptions,
): Promise<Partial<Record<OfficialSplit, TextSplit>>> {
  const builders: Partial<Record<OfficialSplit, TextBuilder>> = {};
  const splits: OfficialSplit[] = (opts?.splits as OfficialSplit[] | undefined) ?? ['train', 'test'];
  for await (const e of entries as AsyncIterable<ArchiveEntry>) {
    const m = /(?:^|\/)(train|test)\.csv$/.exec(e.path);
    if (!m || !wanted(opts, m[1] as OfficialSplit)) continue;
    const b = getOr(builders, m[1] as OfficialSplit, () => new TextBuilder());
    for await (const t of parseAmazonPolarityCsv(e.body(), e.path)) {
      if (opts?.limit !== undefined && b.texts.length >= opts.limit) break;
      b.push(t);
    }
  }
  const out: Partial<Record<OfficialSplit, TextSplit>> = {};
  for (const s of splits) out[s] = (builders[s] ?? new TextBuilder()).build(SENTIMENT_CLASSES);
  return out;
}

/** Collects labelled texts (e.g. from `parseFastText`) into a split. */
export async function collectTexts(src: AsyncIterable<LabelledText>, limit?: number): Promise<TextSplit> {
  const b = new TextBuilder();
  for await (const t of src) {
    if (limit !== undefined && b.texts.length >= limit) break;
    b.push(t);
  }
  return b.build(SENTIMENT_CLASSES);
}

/**
 * Anki archive (`spa-eng.zip` holding `spa.txt`, or any `<lang>.txt` TSV). English is `source`.
 * Streams the TSV: only one copy of the text is held.
 */
export async function readAnki(entries: Entries, opts?: { limit?: number }): Promise<PairSplit> {
  for await (const e of entries as AsyncIterable<ArchiveEntry>) {
    if (!/(?:^|\/)[a-z]{3}\.txt$/.test(e.path) || /_about\.txt$/.test(e.path)) continue;
    const st: PairStats = { empty: 0, misaligned: 0 };
    return collectPairs(parseAnkiTsv(e.body(), st), st, opts?.limit);
  }
  throw new DatasetError(
    'CORRUPT',
    'Anki archive holds no <lang>.txt file (e.g. spa.txt); is this the right archive?',
  );
}

async function collectPairs(
  src: AsyncIterable<{ source: string; target: string; attribution?: string }>,
  st: PairStats,
  limit?: number,
): Promise<PairSplit> {
  const source: string[] = [];
  const target: string[] = [];
  const attribution: string[] = [];
  for await (const p of src) {
    if (limit !== undefined && source.length >= limit) break;
    source.push(p.source);
    target.push(p.target);
    if (p.attribution !== undefined) attribution.push(p.attribution);
  }
  const out: PairSplit = { kind: 'pairs', source, target, skipped: { ...st } };
  if (attribution.length === source.length && source.length > 0) out.attribution = attribution;
  return out;
}

/**
 * Europarl v7 archive (`es-en.tgz` with `europarl-v7.es-en.es` and `europarl-v7.es-en.en`). Returns
 * `sourceLang` → `targetLang` pairs. The first file of the archive is held as lines, the second streamed.
 */
export async function readEuroparl(
  entries: Entries,
  opts?: { sourceLang?: string; targetLang?: string; limit?: number },
): Promise<PairSplit> {
  const src = opts?.sourceLang ?? 'en';
  const tgt = opts?.targetLang ?? 'es';
  let first: { lang: string; lines: string[] } | undefined;
  for await (const e of entries as AsyncIterable<ArchiveEntry>) {
    const m = /europarl-v7\.[a-z]{2}-[a-z]{2}\.([a-z]{2})$/.exec(e.path);
    if (!m || (m[1] !== src && m[1] !== tgt)) continue;
    if (!first) {
      const ls: string[] = [];
      for await (const l of lines(e.body())) ls.push(l);
      first = { lang: m[1], lines: ls };
      continue;
    }
    if (m[1] === first.lang) continue;
    const st: PairStats = { empty: 0, misaligned: 0 };
    return collectPairs(alignLines(first.lines, e.body(), st, first.lang !== src), st, opts?.limit);
  }
  throw new DatasetError(
    'CORRUPT',
    `Europarl archive lacks europarl-v7.*.${src} or europarl-v7.*.${tgt}; is this the right language pair?`,
  );
}

export async function readLines(src: ByteSource): Promise<string[]> {
  const out: string[] = [];
  for await (const l of lines(src)) out.push(l);
  return out;
}
