import type { EncodedPairs, ParallelCorpus, TokenIds } from './data';

/**
 * A compact, self-contained training file for the device: the SentencePiece model, every split
 * as Uint16 ids (source: tokens + EOS; target: BOS + tokens + EOS, so decoder input and labels
 * are two views of one row), and the validation/test texts for BLEU on detokenized output.
 */
export interface Pretokenized {
  sourceLength: number;
  targetLength: number;
  vocabularySize: number;
  ids: TokenIds & { unkId: number };
  tokenizer: Uint8Array;
  train: EncodedPairs;
  validation: EncodedPairs;
  test: EncodedPairs;
  texts: { validation: ParallelCorpus; test: ParallelCorpus };
  /** Where the data came from and how it was split (recorded in model cards). */
  provenance: Record<string, unknown>;
}

const MAGIC = 'ATZS2S02';
type SplitName = 'train' | 'validation' | 'test';
const SPLITS: SplitName[] = ['train', 'validation', 'test'];

/** Rows without their trailing padding: lengths (Uint8) and the ids one after another (Uint16). */
function packRows(
  rows: Int32Array,
  count: number,
  width: number,
  padId: number,
): { lengths: Uint8Array; ids: Uint16Array } {
  if (width > 255) throw new Error('Pretokenized rows hold at most 255 ids.');
  const lengths = new Uint8Array(count);
  let total = 0;
  for (let r = 0; r < count; r++) {
    let n = width;
    while (n > 0 && rows[r * width + n - 1] === padId) n--;
    lengths[r] = n;
    total += n;
  }
  const ids = new Uint16Array(total);
  let at = 0;
  for (let r = 0; r < count; r++) {
    ids.set(rows.subarray(r * width, r * width + lengths[r]), at);
    at += lengths[r];
  }
  return { lengths, ids };
}

function unpackRows(lengths: Uint8Array, ids: Uint16Array, width: number, padId: number): Int32Array {
  const out = new Int32Array(lengths.length * width).fill(padId);
  let at = 0;
  for (let r = 0; r < lengths.length; r++) {
    out.set(ids.subarray(at, at + lengths[r]), r * width);
    at += lengths[r];
  }
  return out;
}

/** Row = [first decoder input (BOS), ...labels]: labels are row[1:], decoder input is row[:T] with EOS read as padding. */
function targetRows(e: EncodedPairs): Int32Array {
  const T = e.targetLength;
  const out = new Int32Array(e.count * (T + 1));
  for (let r = 0; r < e.count; r++) {
    out[r * (T + 1)] = e.decoderInput[r * T];
    out.set(e.labels.subarray(r * T, (r + 1) * T), r * (T + 1) + 1);
  }
  return out;
}

export function writePretokenized(p: Pretokenized): Uint8Array {
  if (p.vocabularySize > 65536)
    throw new Error('Pretokenized files store ids as Uint16: vocabulary too large.');
  const sections: Uint8Array[] = [p.tokenizer];
  const splits: Record<string, unknown> = {};
  let offset = p.tokenizer.length;
  const add = (bytes: Uint8Array) => {
    if (offset % 2) {
      sections.push(new Uint8Array(1));
      offset += 1;
    }
    const at = offset;
    sections.push(bytes);
    offset += bytes.length;
    return at;
  };
  const pad = p.ids.padId;
  for (const name of SPLITS) {
    const e = p[name];
    const src = packRows(e.source, e.count, e.sourceLength, pad);
    const tgt = packRows(targetRows(e), e.count, e.targetLength + 1, pad);
    splits[name] = {
      count: e.count,
      dropped: e.dropped,
      sourceIds: [add(new Uint8Array(src.ids.buffer)), src.ids.length],
      targetIds: [add(new Uint8Array(tgt.ids.buffer)), tgt.ids.length],
      sourceLengths: add(src.lengths),
      targetLengths: add(tgt.lengths),
    };
  }
  const header = new TextEncoder().encode(
    JSON.stringify({
      format: 'attnzoo-seq2seq-pretokenized',
      version: 2,
      sourceLength: p.sourceLength,
      targetLength: p.targetLength,
      vocabularySize: p.vocabularySize,
      ids: p.ids,
      tokenizerLength: p.tokenizer.length,
      splits,
      texts: p.texts,
      provenance: p.provenance,
    }),
  );
  const out = new Uint8Array(12 + header.length + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  let at = 12 + header.length;
  for (const s of sections) {
    out.set(s, at);
    at += s.length;
  }
  return out;
}

export function readPretokenized(bytes: Uint8Array, where = 'the pretokenized file'): Pretokenized {
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== MAGIC) {
    throw new Error(
      `${where} is not an attnzoo pretokenized file (version 2, made by \`seq2seq-translator pretokenize\`).`,
    );
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  const body = bytes.subarray(12 + headerLength);
  const take = (offset: number, length: number) => {
    const slice = body.slice(offset, offset + length);
    if (slice.length !== length) throw new Error(`${where} is truncated.`);
    return slice;
  };
  const u16 = ([offset, count]: [number, number]) => new Uint16Array(take(offset, count * 2).buffer);
  const S = h.sourceLength as number;
  const T = h.targetLength as number;
  const eos = h.ids.eosId as number;
  const pad = h.ids.padId as number;
  const split = (name: SplitName): EncodedPairs => {
    const info = h.splits[name];
    const n = info.count as number;
    const source = unpackRows(take(info.sourceLengths, n), u16(info.sourceIds), S, pad);
    const rows = unpackRows(take(info.targetLengths, n), u16(info.targetIds), T + 1, pad);
    const decoderInput = new Int32Array(n * T);
    const labels = new Int32Array(n * T);
    for (let r = 0; r < n; r++) {
      for (let t = 0; t < T; t++) {
        const id = rows[r * (T + 1) + t];
        decoderInput[r * T + t] = id === eos ? pad : id;
        labels[r * T + t] = rows[r * (T + 1) + t + 1];
      }
    }
    return {
      count: n,
      sourceLength: S,
      targetLength: T,
      source,
      decoderInput,
      labels,
      kept: [],
      dropped: info.dropped,
    };
  };
  return {
    sourceLength: S,
    targetLength: T,
    vocabularySize: h.vocabularySize,
    ids: h.ids,
    tokenizer: take(0, h.tokenizerLength),
    train: split('train'),
    validation: split('validation'),
    test: split('test'),
    texts: h.texts,
    provenance: h.provenance ?? {},
  };
}
