import { TokenizerError } from './errors';

/**
 * The parts of SentencePiece's `ModelProto` (sentencepiece_model.proto) that sentencepiece-js does
 * not expose: the piece table, the special ids and the model type. A minimal protobuf reader, so
 * that the vocabulary size and special ids are known without the wasm module and a corrupt file
 * is reported before it reaches it.
 */
export type PieceType = 'normal' | 'unknown' | 'control' | 'user-defined' | 'unused' | 'byte';
export type SentencePieceModelType = 'unigram' | 'bpe' | 'word' | 'char';

export interface SentencePieceModelInfo {
  pieces: string[];
  scores: Float32Array;
  types: PieceType[];
  modelType: SentencePieceModelType;
  /** -1 where the model has no such piece (SentencePiece's convention). */
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number;
  normalizerName: string;
  byteFallback: boolean;
}

const PIECE_TYPES: Record<number, PieceType> = {
  1: 'normal',
  2: 'unknown',
  3: 'control',
  4: 'user-defined',
  5: 'unused',
  6: 'byte',
};
const MODEL_TYPES: Record<number, SentencePieceModelType> = { 1: 'unigram', 2: 'bpe', 3: 'word', 4: 'char' };

class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  /** A varint; int32 fields written as 10-byte negative varints come back as their low 32 bits, signed. */
  varint(): number {
    let low = 0;
    let high = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.pos >= this.end) throw bad('truncated varint');
      const b = this.buf[this.pos++];
      if (shift < 28) low |= (b & 0x7f) << shift;
      else if (shift === 28) {
        low |= (b & 0x0f) << 28;
        high = (b & 0x70) >> 4;
      } else if (shift < 64) high += (b & 0x7f) * 2 ** (shift - 32);
      else throw bad('varint longer than 10 bytes');
      if ((b & 0x80) === 0) break;
    }
    // Non-negative values up to 2^53 keep their size (lengths); negative int32 keep their sign.
    if (high === 0) return low >>> 0;
    if (high >= 0x0fffffff) return low | 0;
    return (low >>> 0) + high * 2 ** 32;
  }
  bytes(): Uint8Array {
    const n = this.varint();
    // a negative length would move the reader backwards and could loop over the same bytes forever
    if (n < 0) throw bad('negative length');
    if (n > this.end - this.pos) throw bad('length-delimited field runs past the end');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  float32(): number {
    if (this.pos + 4 > this.end) throw bad('truncated float');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw bad(`unsupported protobuf wire type ${wire}`);
    if (this.pos > this.end) throw bad('field runs past the end');
  }
}

function bad(why: string): TokenizerError {
  return new TokenizerError('BAD_MODEL', `not a SentencePiece model (${why})`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch {
    throw bad('a piece is not valid UTF-8');
  }
}

/**
 * Parses a serialized SentencePiece `ModelProto`; throws BAD_MODEL for anything else, naming
 * `name` (the file) and the fix.
 */
export function parseSentencePieceModel(
  bytes: Uint8Array,
  name = 'the SentencePiece model',
): SentencePieceModelInfo {
  try {
    return parseModel(bytes);
  } catch (e) {
    if (!(e instanceof TokenizerError)) throw e;
    throw new TokenizerError(
      'BAD_MODEL',
      `${name}: ${e.message}; the file is damaged or not a .model file, train or download it again`,
    );
  }
}

function parseModel(bytes: Uint8Array): SentencePieceModelInfo {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw bad('empty input');
  const r = new Reader(bytes);
  const pieces: string[] = [];
  const scores: number[] = [];
  const types: PieceType[] = [];
  let modelType: SentencePieceModelType = 'unigram';
  let unkId = 0;
  let bosId = 1;
  let eosId = 2;
  let padId = -1;
  let byteFallback = false;
  let normalizerName = '';
  while (!r.done) {
    const key = r.varint();
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 1 && wire === 2) {
      const sub = r.bytes();
      const pr = new Reader(sub);
      let piece = '';
      let score = 0;
      let type = 1;
      while (!pr.done) {
        const k = pr.varint();
        if (k >>> 3 === 1 && (k & 7) === 2) piece = text(pr.bytes());
        else if (k >>> 3 === 2 && (k & 7) === 5) score = pr.float32();
        else if (k >>> 3 === 3 && (k & 7) === 0) type = pr.varint();
        else pr.skip(k & 7);
      }
      pieces.push(piece);
      scores.push(score);
      types.push(PIECE_TYPES[type] ?? 'normal');
    } else if (field === 2 && wire === 2) {
      const sub = r.bytes();
      const t = new Reader(sub);
      while (!t.done) {
        const k = t.varint();
        const f = k >>> 3;
        if ((k & 7) !== 0) {
          t.skip(k & 7);
          continue;
        }
        const v = t.varint();
        if (f === 3) modelType = MODEL_TYPES[v] ?? modelType;
        else if (f === 35) byteFallback = v !== 0;
        else if (f === 40) unkId = v | 0;
        else if (f === 41) bosId = v | 0;
        else if (f === 42) eosId = v | 0;
        else if (f === 43) padId = v | 0;
      }
    } else if (field === 3 && wire === 2) {
      const n = new Reader(r.bytes());
      while (!n.done) {
        const k = n.varint();
        if (k >>> 3 === 1 && (k & 7) === 2) normalizerName = text(n.bytes());
        else n.skip(k & 7);
      }
    } else if (field === 0) {
      throw bad('field number 0');
    } else {
      r.skip(wire);
    }
  }
  if (pieces.length === 0) throw bad('no pieces');
  if (unkId < 0 || unkId >= pieces.length || types[unkId] !== 'unknown') {
    throw bad(`unk id ${unkId} does not name the unknown piece`);
  }
  for (const [name, id] of [
    ['bos', bosId],
    ['eos', eosId],
    ['pad', padId],
  ] as const) {
    if (id >= pieces.length) throw bad(`${name} id ${id} is past the vocabulary (${pieces.length} pieces)`);
  }
  return {
    pieces,
    scores: Float32Array.from(scores),
    types,
    modelType,
    unkId,
    bosId,
    eosId,
    padId,
    normalizerName,
    byteFallback,
  };
}
