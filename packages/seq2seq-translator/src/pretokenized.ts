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

const MAGIC = 'ATZS2S01';
type SplitName = 'train' | 'validation' | 'test';
const SPLITS: SplitName[] = ['train', 'validation', 'test'];

/** Row = [first decoder input (BOS), ...labels]: labels are row[1:], decoder input is row[:T] with EOS read as padding. */
function targetRows(e: EncodedPairs, padId: number): Uint16Array {
  const T = e.targetLength;
  const out = new Uint16Array(e.count * (T + 1)).fill(padId);
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
    const pad = offset % 2;
    if (pad) {
      sections.push(new Uint8Array(1));
      offset += 1;
    }
    const at = offset;
    sections.push(bytes);
    offset += bytes.length;
    return at;
  };
  for (const name of SPLITS) {
    const e = p[name];
    const src = Uint16Array.from(e.source);
    const tgt = targetRows(e, p.ids.padId);
    splits[name] = {
      count: e.count,
      dropped: e.dropped,
      sourceOffset: add(new Uint8Array(src.buffer)),
      targetOffset: add(new Uint8Array(tgt.buffer)),
    };
  }
  const header = new TextEncoder().encode(
    JSON.stringify({
      format: 'attnzoo-seq2seq-pretokenized',
      version: 1,
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
  const total = 8 + 4 + header.length + offset;
  const out = new Uint8Array(total);
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
      `${where} is not an attnzoo pretokenized file (made by \`seq2seq-translator pretokenize\`).`,
    );
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  const base = 12 + headerLength;
  const body = bytes.subarray(base);
  if (body.length < h.tokenizerLength) throw new Error(`${where} is truncated.`);
  const u16 = (offset: number, count: number) => {
    const slice = body.slice(offset, offset + count * 2);
    if (slice.length !== count * 2) throw new Error(`${where} is truncated.`);
    return new Uint16Array(slice.buffer);
  };
  const S = h.sourceLength as number;
  const T = h.targetLength as number;
  const eos = h.ids.eosId as number;
  const pad = h.ids.padId as number;
  const split = (name: SplitName): EncodedPairs => {
    const info = h.splits[name];
    const n = info.count as number;
    const tgt = u16(info.targetOffset, n * (T + 1));
    const decoderInput = new Int32Array(n * T);
    const labels = new Int32Array(n * T);
    for (let r = 0; r < n; r++) {
      for (let t = 0; t < T; t++) {
        const id = tgt[r * (T + 1) + t];
        decoderInput[r * T + t] = id === eos ? pad : id;
        labels[r * T + t] = tgt[r * (T + 1) + t + 1];
      }
    }
    return {
      count: n,
      sourceLength: S,
      targetLength: T,
      source: Int32Array.from(u16(info.sourceOffset, n * S)),
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
    tokenizer: body.slice(0, h.tokenizerLength),
    train: split('train'),
    validation: split('validation'),
    test: split('test'),
    texts: h.texts,
    provenance: h.provenance ?? {},
  };
}
