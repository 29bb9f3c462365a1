import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findSpmTool,
  loadSentencePieceFile,
  parseSentencePieceModel,
  SentencePieceTokenizer,
  spmEncodeIds,
  spmEncodePieces,
  TokenizerError,
  trainSentencePiece,
} from './node';
import { imdbSample } from './testing/imdb';

// A real SentencePiece model trained here by Debian's spm_train on IMDB train reviews, checked
// against Debian's spm_encode on IMDB test reviews. Both tools are required: CI installs the
// Debian package `sentencepiece`; without it these tests fail with the install hint.
let dir: string;
let modelPath: string;
let tok: SentencePieceTokenizer;
let reviews: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'attnzoo-tokenizer-'));
  const train = await imdbSample('train', 1500);
  const trained = await trainSentencePiece({
    inputTexts: train,
    vocabSize: 1000,
    modelType: 'unigram',
    modelPrefix: join(dir, 'imdb'),
  });
  modelPath = trained.modelPath;
  tok = trained.tokenizer;
  reviews = await imdbSample('test', 150);
});

afterAll(() => {
  tok?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('sentencepiece-js against Debian spm_encode', () => {
  it('gives the same ids as spm_encode --output_format=id on real IMDB test reviews', async () => {
    const expected = await spmEncodeIds(modelPath, reviews);
    const got = reviews.map((r) => tok.encode(r));
    expect(got.length).toBe(150);
    let tokens = 0;
    for (let i = 0; i < reviews.length; i++) {
      expect(got[i], `review ${i}`).toEqual(expected[i]);
      tokens += got[i].length;
    }
    expect(tokens).toBeGreaterThan(150 * 50);
  });

  it('gives the same pieces as spm_encode --output_format=piece', async () => {
    const sample = reviews.slice(0, 40);
    const expected = await spmEncodePieces(modelPath, sample);
    sample.forEach((r, i) => {
      expect(tok.encodePieces(r)).toEqual(expected[i]);
    });
  });

  it('decodes ids back to the normalised text', () => {
    for (const r of reviews.slice(0, 40)) {
      const ids = tok.encode(r);
      const pieces = tok.encodePieces(r);
      if (ids.includes(tok.unkId)) continue;
      expect(tok.decode(ids)).toBe(pieces.join('').replace(/▁/g, ' ').trim());
    }
    expect(tok.decode(tok.encode('This movie was great.'))).toBe('This movie was great.');
  });
});

describe('model facts', () => {
  it('reads vocabulary size, special ids and model type from the model file', () => {
    const vocabLines = readFileSync(modelPath.replace(/\.model$/, '.vocab'), 'utf8')
      .trim()
      .split('\n');
    expect(tok.vocabularySize).toBe(1000);
    expect(vocabLines.length).toBe(1000);
    expect(tok.specialIds).toEqual({ pad: 0, unk: 1, bos: 2, eos: 3 });
    expect(tok.modelType).toBe('unigram');
    expect(tok.idToPiece(0)).toBe('<pad>');
    expect(tok.idToPiece(1)).toBe('<unk>');
    expect(tok.pieceType(2)).toBe('control');
    vocabLines.forEach((line, i) => {
      expect(tok.idToPiece(i)).toBe(line.split('\t')[0]);
    });
    expect(tok.pieceToId('</s>')).toBe(3);
    expect(tok.pieceToId('<s>')).toBe(2);
    expect(tok.pieceToId('no-such-piece-here')).toBe(tok.unkId);
  });

  it('loads the same model from a file and from bytes, and the bytes are kept unchanged for presets', async () => {
    const bytes = new Uint8Array(readFileSync(modelPath));
    const a = await loadSentencePieceFile(modelPath);
    const b = await SentencePieceTokenizer.fromBytes(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
    );
    expect(a.encode(reviews[0])).toEqual(b.encode(reviews[0]));
    expect(Array.from(b.bytes)).toEqual(Array.from(bytes));
    a.dispose();
    b.dispose();
    expect(() => a.encode('x')).toThrow(/disposed/);
  });
});

describe('padding', () => {
  it('pads with the pad id, truncates by policy and adds bos/eos inside maxLength', () => {
    const long = reviews[0];
    const full = tok.encode(long);
    expect(full.length).toBeGreaterThan(20);
    const end = tok.encodePadded([long, 'ok', ''], { maxLength: 16 });
    expect(Array.from(end.ids.subarray(0, 16))).toEqual(full.slice(0, 16));
    expect(end.lengths[0]).toBe(16);
    expect(end.fullLengths[0]).toBe(full.length);
    const ok = tok.encode('ok');
    expect(Array.from(end.ids.subarray(16, 32))).toEqual([...ok, ...new Array(16 - ok.length).fill(0)]);
    expect(Array.from(end.ids.subarray(32, 48))).toEqual(new Array(16).fill(0));
    expect(end.lengths[2]).toBe(0);

    const start = tok.encodePadded([long], {
      maxLength: 16,
      truncation: 'start',
      addBos: true,
      addEos: true,
    });
    expect(Array.from(start.ids)).toEqual([2, ...full.slice(full.length - 14), 3]);
    expect(() => tok.encodePadded(['x'], { maxLength: 2, addBos: true, addEos: true })).toThrow(/no room/);
    expect(() => tok.encodePadded(['x'], { maxLength: 0 })).toThrow(/positive integer/);
  });
});

describe('awkward input', () => {
  it('empty and blank strings give no ids; non-Latin text and emoji encode without error', () => {
    expect(tok.encode('')).toEqual([]);
    expect(tok.encode('   \n\t ')).toEqual([]);
    for (const t of [
      '日本語のレビューです',
      'Отличный фильм',
      'فيلم رائع',
      '👍🏽 great',
      'broken \uD800 surrogate',
    ]) {
      const ids = tok.encode(t);
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.every((i) => Number.isInteger(i) && i >= 0 && i < tok.vocabularySize)).toBe(true);
    }
    // IMDB-trained vocabulary: Japanese is outside it, so it maps to unk.
    expect(tok.encode('日本語')).toContain(tok.unkId);
  });

  it('very long input encodes in full', () => {
    const text = reviews.join(' ').repeat(3);
    const ids = tok.encode(text);
    expect(ids.length).toBeGreaterThan(30000);
  });

  it('rejects non-strings, ids outside the vocabulary and bytes that are not a model', async () => {
    expect(() => tok.encode(undefined as unknown as string)).toThrow(TokenizerError);
    expect(() => tok.decode([5, 1000])).toThrow(/outside the vocabulary/);
    expect(() => tok.decode([1.5])).toThrow(/outside the vocabulary/);
    expect(() => tok.idToPiece(-1)).toThrow(TokenizerError);
    await expect(SentencePieceTokenizer.fromBytes(new Uint8Array(0))).rejects.toThrow(
      /not a SentencePiece model/,
    );
    await expect(
      SentencePieceTokenizer.fromBytes(new TextEncoder().encode('{"not":"a model"}')),
    ).rejects.toMatchObject({
      code: 'BAD_MODEL',
    });
    const truncated = new Uint8Array(readFileSync(modelPath)).subarray(0, 5000);
    await expect(SentencePieceTokenizer.fromBytes(truncated)).rejects.toMatchObject({ code: 'BAD_MODEL' });
    expect(() => parseSentencePieceModel(new Uint8Array([0x0a, 0x7f]))).toThrow(/runs past the end/);
    await expect(loadSentencePieceFile(join(dir, 'missing.model'))).rejects.toThrow(/cannot read/);
  });
});

describe('trainSentencePiece', () => {
  it('honours special ids, user-defined symbols and model type; without pad, padding needs an explicit id', async () => {
    const { tokenizer } = await trainSentencePiece({
      inputTexts: reviews.slice(0, 100),
      vocabSize: 300,
      modelType: 'bpe',
      userDefinedSymbols: ['<sep>'],
      specialIds: { pad: -1, unk: 0, bos: 1, eos: 2 },
      modelPrefix: join(dir, 'nopad'),
    });
    expect(tokenizer.modelType).toBe('bpe');
    expect(tokenizer.specialIds).toEqual({ pad: -1, unk: 0, bos: 1, eos: 2 });
    const sep = tokenizer.pieceToId('<sep>');
    expect(tokenizer.pieceType(sep)).toBe('user-defined');
    expect(tokenizer.encode('good <sep> bad')).toContain(sep);
    expect(() => tokenizer.encodePadded(['x'], { maxLength: 4 })).toThrow(/no pad piece/);
    expect(Array.from(tokenizer.encodePadded([''], { maxLength: 2, padId: 0 }).ids)).toEqual([0, 0]);
    tokenizer.dispose();
  });

  it('says which Debian package to install when spm_train is missing, and rejects bad options', async () => {
    expect(() => findSpmTool('spm_train', ['/nonexistent-dir'])).toThrow(/apt-get install -y sentencepiece/);
    await expect(
      trainSentencePiece({
        inputTexts: ['a'],
        vocabSize: 10,
        modelPrefix: join(dir, 'x'),
        spmTrain: '/nonexistent/spm_train',
      }),
    ).rejects.toMatchObject({ code: 'SPM_FAILED' });
    await expect(trainSentencePiece({ vocabSize: 10, modelPrefix: join(dir, 'x') })).rejects.toThrow(
      /exactly one/,
    );
    await expect(
      trainSentencePiece({ inputTexts: ['a b c'], vocabSize: 5000, modelPrefix: join(dir, 'toolarge') }),
    ).rejects.toThrow(/spm_train .* exited/);
  });
});
