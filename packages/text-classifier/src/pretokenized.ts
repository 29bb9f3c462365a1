import type { TextPreprocessorConfig } from './config';
import type { EncodedTexts } from './data';

/**
 * Pre-tokenized data: fixed-length Uint16 ids and Uint8 labels per split, plus the tokenizer model
 * bytes, in one compact file. Lets a GPU machine train without SentencePiece or the raw archives.
 * Layout: "ATZTOK01", uint32 LE header length, UTF-8 JSON header, then each split's ids and
 * labels and the tokenizer bytes at the offsets the header gives (from the end of the header).
 */
export const PRETOKENIZED_MAGIC = 'ATZTOK01';

export interface PretokenizedSplitInfo {
  name: string;
  count: number;
  idsOffset: number;
  labelsOffset: number;
}

export interface PretokenizedHeader {
  format: 1;
  /** Data set name in @attnzoo/datasets' registry, and how its splits were made. */
  dataset: string;
  splitNote: string;
  maxLength: number;
  vocabularySize: number;
  padId: number;
  classNames: string[];
  preprocessor: TextPreprocessorConfig;
  tokenizerSha256: string;
  tokenizerOffset: number;
  tokenizerLength: number;
  splits: PretokenizedSplitInfo[];
}

export interface Pretokenized {
  header: PretokenizedHeader;
  splits: Record<string, EncodedTexts>;
  tokenizer: Uint8Array;
}

export function isPretokenized(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && new TextDecoder().decode(bytes.subarray(0, 8)) === PRETOKENIZED_MAGIC;
}

export function encodePretokenized(
  header: Omit<PretokenizedHeader, 'format' | 'splits' | 'tokenizerOffset' | 'tokenizerLength'>,
  splits: Record<string, EncodedTexts>,
  tokenizer: Uint8Array,
): Uint8Array {
  if (header.vocabularySize > 65536)
    throw new Error('pretokenized files store ids as Uint16: vocabulary must be <= 65536');
  const infos: PretokenizedSplitInfo[] = [];
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const [name, s] of Object.entries(splits)) {
    if (s.maxLength !== header.maxLength)
      throw new Error(`split ${name} has maxLength ${s.maxLength}, not ${header.maxLength}`);
    const ids = Uint16Array.from(s.ids);
    const labels = Uint8Array.from(s.labels);
    infos.push({ name, count: s.count, idsOffset: at, labelsOffset: at + ids.byteLength });
    parts.push(new Uint8Array(ids.buffer), labels);
    at += ids.byteLength + labels.byteLength;
    const pad = (2 - (at % 2)) % 2; // keep the next Uint16 block aligned
    if (pad) {
      parts.push(new Uint8Array(pad));
      at += pad;
    }
  }
  const full: PretokenizedHeader = {
    ...header,
    format: 1,
    splits: infos,
    tokenizerOffset: at,
    tokenizerLength: tokenizer.length,
  };
  parts.push(tokenizer);
  const json = new TextEncoder().encode(JSON.stringify(full));
  const headLen = 8 + 4 + json.length;
  const align = (2 - (headLen % 2)) % 2;
  const jsonPadded = new Uint8Array(json.length + align).fill(0x20);
  jsonPadded.set(json);
  const out = new Uint8Array(12 + jsonPadded.length + at + tokenizer.length);
  out.set(new TextEncoder().encode(PRETOKENIZED_MAGIC), 0);
  new DataView(out.buffer).setUint32(8, jsonPadded.length, true);
  out.set(jsonPadded, 12);
  let k = 12 + jsonPadded.length;
  for (const p of parts) {
    out.set(p, k);
    k += p.length;
  }
  return out;
}

export function decodePretokenized(bytes: Uint8Array): Pretokenized {
  if (!isPretokenized(bytes)) throw new Error(`not a pretokenized file (no ${PRETOKENIZED_MAGIC} magic)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hl = dv.getUint32(8, true);
  if (12 + hl > bytes.length) throw new Error('pretokenized file: truncated header');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hl))) as PretokenizedHeader;
  if (header.format !== 1) throw new Error(`pretokenized file: unknown format ${header.format}`);
  const base = 12 + hl;
  const need = base + header.tokenizerOffset + header.tokenizerLength;
  if (need > bytes.length) throw new Error(`pretokenized file: truncated (${bytes.length} of ${need} bytes)`);
  // Copy into an aligned buffer so Uint16 views are valid whatever the input's byteOffset.
  const body = bytes.slice(base, need);
  const splits: Record<string, EncodedTexts> = {};
  for (const s of header.splits) {
    const n = s.count * header.maxLength;
    splits[s.name] = {
      ids: new Uint16Array(body.buffer, s.idsOffset, n),
      labels: body.subarray(s.labelsOffset, s.labelsOffset + s.count),
      count: s.count,
      maxLength: header.maxLength,
    };
  }
  return {
    header,
    splits,
    tokenizer: body.subarray(header.tokenizerOffset, header.tokenizerOffset + header.tokenizerLength),
  };
}
