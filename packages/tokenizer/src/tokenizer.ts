import { TokenizerError } from './errors';
import {
  type PieceType,
  parseSentencePieceModel,
  type SentencePieceModelInfo,
  type SentencePieceModelType,
} from './proto';
import { loadWasmProcessor, type SentencePieceWasm, sentencePieceWasm, type WasmProcessor } from './wasm';

/** Special ids of a SentencePiece model; -1 where the model has none. */
export interface SpecialIds {
  pad: number;
  unk: number;
  bos: number;
  eos: number;
}

/**
 * The id convention of attnzoo's own SentencePiece models (what `trainSentencePiece` uses by
 * default): pad 0, unk 1, bos 2, eos 3. Models pad with `pad` and mask keys equal to it
 * (`KeyPaddingMask({padId: tokenizer.padId})`), so id 0 never stands for text.
 */
export const ATTNZOO_SPECIAL_IDS: Readonly<SpecialIds> = Object.freeze({ pad: 0, unk: 1, bos: 2, eos: 3 });

export interface PadOptions {
  /** Every row gets exactly this many ids (truncated or padded). */
  maxLength: number;
  /** Which end to cut when a text is longer: 'end' keeps the start (default), 'start' keeps the end. */
  truncation?: 'end' | 'start';
  /** Put the bos id first / the eos id last (inside `maxLength`). Default false. */
  addBos?: boolean;
  addEos?: boolean;
  /** Pad id; default the model's pad id (an error if it has none). */
  padId?: number;
}

export interface PaddedBatch {
  /** Row-major `[count, maxLength]`. */
  ids: Int32Array;
  /** Real (non-pad) ids per row, after truncation. */
  lengths: Int32Array;
  /** Ids per row before truncation (bos/eos included), to report how much was cut. */
  fullLengths: Int32Array;
  count: number;
  maxLength: number;
}

function wellFormed(text: string): string {
  // Lone surrogates cannot be written as UTF-8; SentencePiece would see garbage bytes.
  const s = text as string & { toWellFormed?: () => string };
  return typeof s.toWellFormed === 'function'
    ? s.toWellFormed()
    : text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** A loaded SentencePiece model: encode, decode, special ids and vocabulary. Browser-safe. */
export class SentencePieceTokenizer {
  /** The serialized model, unchanged (what presets store as `tokenizer.model`). */
  readonly bytes: Uint8Array;
  readonly info: SentencePieceModelInfo;
  private processor: WasmProcessor | null;
  private readonly wasm: SentencePieceWasm;
  private pieceIndex: Map<string, number> | undefined;

  private constructor(
    bytes: Uint8Array,
    info: SentencePieceModelInfo,
    wasm: SentencePieceWasm,
    processor: WasmProcessor,
  ) {
    this.bytes = bytes;
    this.info = info;
    this.wasm = wasm;
    this.processor = processor;
  }

  /** Loads a serialized SentencePiece model (`.model` file contents). Throws BAD_MODEL for anything else. */
  static async fromBytes(
    bytes: Uint8Array | ArrayBuffer,
    name = 'the SentencePiece model',
  ): Promise<SentencePieceTokenizer> {
    const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    const info = parseSentencePieceModel(b, name);
    const wasm = await sentencePieceWasm();
    const processor = await loadWasmProcessor(b, name);
    return new SentencePieceTokenizer(b.slice(), info, wasm, processor);
  }

  get vocabularySize(): number {
    return this.info.pieces.length;
  }
  get modelType(): SentencePieceModelType {
    return this.info.modelType;
  }
  get specialIds(): SpecialIds {
    return { pad: this.info.padId, unk: this.info.unkId, bos: this.info.bosId, eos: this.info.eosId };
  }
  get padId(): number {
    return this.info.padId;
  }
  get unkId(): number {
    return this.info.unkId;
  }
  get bosId(): number {
    return this.info.bosId;
  }
  get eosId(): number {
    return this.info.eosId;
  }

  private live(): WasmProcessor {
    if (!this.processor) throw new TokenizerError('BAD_INPUT', 'this tokenizer was disposed');
    return this.processor;
  }

  private static checkText(text: unknown): string {
    if (typeof text !== 'string') {
      throw new TokenizerError(
        'BAD_INPUT',
        `expected a string to encode, got ${text === null ? 'null' : typeof text}`,
      );
    }
    return wellFormed(text);
  }

  /** Ids of `text` (no bos/eos); an empty or blank text gives `[]`. */
  encode(text: string): number[] {
    const p = this.live();
    return this.withView(SentencePieceTokenizer.checkText(text), (view) => {
      const v = p.EncodeAsIds(view);
      const out = new Array<number>(v.size());
      for (let i = 0; i < out.length; i++) out[i] = v.get(i);
      v.delete();
      return out;
    });
  }

  /** Pieces of `text` (e.g. `▁the`), parallel to `encode(text)`. */
  encodePieces(text: string): string[] {
    const p = this.live();
    return this.withView(SentencePieceTokenizer.checkText(text), (view) => {
      const v = p.EncodeAsPieces(view);
      const out = new Array<string>(v.size());
      for (let i = 0; i < out.length; i++) out[i] = v.get(i);
      v.delete();
      return out;
    });
  }

  /** Text of `ids`; control ids (pad, bos, eos) are dropped, unknown ones read ` ⁇ `. Ids out of range are an error. */
  decode(ids: ArrayLike<number>): string {
    const p = this.live();
    const n = this.vocabularySize;
    const list: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= n) {
        throw new TokenizerError('BAD_ID', `id ${id} at position ${i} is outside the vocabulary [0, ${n})`);
      }
      list.push(id);
    }
    const vec = this.wasm.vecFromJSArray(list);
    try {
      return p.DecodeIds(vec);
    } finally {
      vec.delete();
    }
  }

  idToPiece(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabularySize) {
      throw new TokenizerError('BAD_ID', `id ${id} is outside the vocabulary [0, ${this.vocabularySize})`);
    }
    return this.info.pieces[id];
  }

  /** Id of a piece, or the unk id where the vocabulary has no such piece. */
  pieceToId(piece: string): number {
    if (!this.pieceIndex) {
      this.pieceIndex = new Map();
      this.info.pieces.forEach((p, i) => {
        if (!this.pieceIndex!.has(p)) this.pieceIndex!.set(p, i);
      });
    }
    return this.pieceIndex.get(piece) ?? this.info.unkId;
  }

  pieceType(id: number): PieceType {
    this.idToPiece(id);
    return this.info.types[id];
  }

  /**
   * Encodes `texts` into a fixed `[count, maxLength]` block, padded with the pad id and truncated
   * per `truncation`. Fixed length is what Super attention needs; the pad id is what
   * `KeyPaddingMask` masks.
   */
  encodePadded(texts: readonly string[], opts: PadOptions): PaddedBatch {
    const { maxLength } = opts;
    if (!Number.isInteger(maxLength) || maxLength < 1) {
      throw new TokenizerError('BAD_INPUT', `maxLength must be a positive integer, got ${maxLength}`);
    }
    const padId = opts.padId ?? this.padId;
    if (padId < 0) {
      throw new TokenizerError(
        'NO_PAD',
        'this SentencePiece model has no pad piece (trained without --pad_id); pass padId or retrain with trainSentencePiece (pad 0)',
      );
    }
    for (const [flag, id, name] of [
      [opts.addBos, this.bosId, 'bos'],
      [opts.addEos, this.eosId, 'eos'],
    ] as const) {
      if (flag && id < 0) throw new TokenizerError('BAD_INPUT', `the model has no ${name} piece`);
    }
    const reserved = (opts.addBos ? 1 : 0) + (opts.addEos ? 1 : 0);
    if (maxLength <= reserved) {
      throw new TokenizerError('BAD_INPUT', `maxLength ${maxLength} leaves no room for bos/eos`);
    }
    const count = texts.length;
    const ids = new Int32Array(count * maxLength).fill(padId);
    const lengths = new Int32Array(count);
    const fullLengths = new Int32Array(count);
    for (let r = 0; r < count; r++) {
      let body = this.encode(texts[r]);
      fullLengths[r] = body.length + reserved;
      const room = maxLength - reserved;
      if (body.length > room)
        body = opts.truncation === 'start' ? body.slice(body.length - room) : body.slice(0, room);
      let k = r * maxLength;
      if (opts.addBos) ids[k++] = this.bosId;
      ids.set(body, k);
      k += body.length;
      if (opts.addEos) ids[k++] = this.eosId;
      lengths[r] = k - r * maxLength;
    }
    return { ids, lengths, fullLengths, count, maxLength };
  }

  private withView<T>(text: string, fn: (view: { delete(): void }) => T): T {
    const sv = new this.wasm.StringView(text);
    const view = sv.getView();
    try {
      return fn(view);
    } finally {
      view.delete();
      sv.delete();
    }
  }

  /** Frees the wasm processor; the tokenizer cannot be used afterwards. */
  dispose(): void {
    this.processor?.delete();
    this.processor = null;
  }
}

/** Loads a serialized SentencePiece model; same as `SentencePieceTokenizer.fromBytes`. */
export async function loadSentencePiece(bytes: Uint8Array | ArrayBuffer): Promise<SentencePieceTokenizer> {
  return SentencePieceTokenizer.fromBytes(bytes);
}
