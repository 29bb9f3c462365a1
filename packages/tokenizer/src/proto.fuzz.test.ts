import { join } from 'node:path';
import { corpus, expectCleanFailure, fuzz, hostileBytes } from '@attnzoo/fixtures/fuzz';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenizerError } from './errors';
import { parseSentencePieceModel } from './proto';
import { SentencePieceTokenizer } from './tokenizer';

const CORPUS = join(__dirname, '../fuzz-corpus');
const isTokenizerError = (e: unknown) => e instanceof TokenizerError;

// A minimal protobuf writer for seed models: enough of ModelProto for both parsers to accept it.
function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
const field = (num: number, wire: number, body: number[]) =>
  wire === 2
    ? [...varint((num << 3) | 2), ...varint(body.length), ...body]
    : [...varint((num << 3) | wire), ...body];
const utf8 = (s: string) => [...new TextEncoder().encode(s)];
const f32 = (x: number) => [...new Uint8Array(new Float32Array([x]).buffer)];

function piece(text: string, score: number, type: number): number[] {
  return field(1, 2, [...field(1, 2, utf8(text)), ...field(2, 5, f32(score)), ...field(3, 0, varint(type))]);
}

function model(
  pieces: [string, number, number][],
  modelType: number,
  ids: [number, number, number] = [0, 1, 2],
): Uint8Array {
  const trainer = [
    ...field(3, 0, varint(modelType)),
    ...field(40, 0, varint(ids[0])),
    ...field(41, 0, varint(ids[1])),
    ...field(42, 0, varint(ids[2])),
  ];
  const normalizer = [...field(1, 2, utf8('identity')), ...field(3, 0, varint(1))];
  return new Uint8Array([
    ...pieces.flatMap(([t, s, ty]) => piece(t, s, ty)),
    ...field(2, 2, trainer),
    ...field(3, 2, normalizer),
  ]);
}

/** A varint as protobuf writes it; negative numbers take ten bytes (two's complement, 64 bits). */
function varint64(n: bigint): number[] {
  let v = BigInt.asUintN(64, n);
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/** Seeds with extreme varints (negative, 2^31, 2^53, 2^64-1) written over or into a field: lengths, ids, keys. */
function withExtremeVarints(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const extreme = fc.constantFrom(-1n, -20n, -1000n, 2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 64n - 1n);
  return fc
    .tuple(fc.constantFrom(...seeds), fc.nat(), extreme, fc.boolean())
    .map(([seed, at, value, insert]) => {
      const bytes = new Uint8Array(varint64(value));
      const pos = at % seed.length;
      const head = seed.subarray(0, pos);
      const tail = insert ? seed.subarray(pos) : seed.subarray(Math.min(seed.length, pos + bytes.length));
      return new Uint8Array([...head, ...bytes, ...tail]);
    });
}

const SEEDS = [
  model(
    [
      ['<unk>', 0, 2],
      ['<s>', 0, 3],
      ['</s>', 0, 3],
      ['▁a', -1, 1],
      ['b', -2, 1],
      ['▁', -3, 1],
    ],
    1,
  ),
  model(
    [
      ['<unk>', 0, 2],
      ['<s>', 0, 3],
      ['</s>', 0, 3],
      ['▁ab', 0, 1],
      ['a', 0, 1],
      ['b', 0, 1],
    ],
    2,
  ),
];

/**
 * Well-formed protobuf with odd contents, so that inputs get past the protobuf reader into
 * SentencePiece itself: duplicate, empty or odd pieces, non-finite scores, unknown piece and model
 * types, special ids anywhere in the table.
 */
const oddModel = fc
  .record({
    pieces: fc.array(
      fc.tuple(
        fc.oneof(fc.constantFrom('', '▁', 'a', '<unk>', '<s>', '\u0000', '▁▁▁'), fc.string({ maxLength: 6 })),
        fc.constantFrom(0, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e38),
        fc.integer({ min: 0, max: 7 }),
      ),
      { minLength: 1, maxLength: 12 },
    ),
    modelType: fc.integer({ min: 0, max: 5 }),
    ids: fc.tuple(fc.nat(12), fc.nat(12), fc.nat(12)),
  })
  .map(({ pieces, modelType, ids }) => {
    // the unk id must name an unknown piece for the protobuf reader to pass it on
    const table = [...pieces];
    table[ids[0] % table.length] = ['<unk>', 0, 2];
    return model(table, modelType, [ids[0] % table.length, ids[1], ids[2]]);
  });

describe('SentencePiece models: hostile input ends in a TokenizerError naming the file', () => {
  it('the seeds are valid models', async () => {
    for (const s of SEEDS) {
      const tok = await SentencePieceTokenizer.fromBytes(s, 'seed.model');
      expect(tok.vocabularySize).toBe(6);
      tok.dispose();
    }
  });

  it('the protobuf reader', async () => {
    const r = await fuzz(
      'spm-proto',
      fc.oneof(hostileBytes(SEEDS, 512), withExtremeVarints(SEEDS)),
      (b) =>
        expectCleanFailure(
          () => {
            const info = parseSentencePieceModel(b, 'fuzz.model');
            // one piece needs at least two bytes, so the table can never outgrow the file
            expect(info.pieces.length).toBeLessThanOrEqual(b.length);
          },
          isTokenizerError,
          'fuzz.model',
        ),
      { numRuns: 5000, timeMs: 3000 },
    );
    expect(r.inputs).toBeGreaterThan(100);
  });

  it('the whole load, wasm included', async () => {
    const r = await fuzz(
      'spm-load',
      hostileBytes(SEEDS, 512),
      (b) =>
        expectCleanFailure(
          async () => (await SentencePieceTokenizer.fromBytes(b, 'fuzz.model')).dispose(),
          isTokenizerError,
          'fuzz.model',
        ),
      { numRuns: 3000, timeMs: 4000 },
    );
    expect(r.inputs).toBeGreaterThan(50);
  });

  it('well-formed models with odd contents, through SentencePiece itself', async () => {
    let reachedWasm = 0;
    const r = await fuzz(
      'spm-contents',
      oddModel,
      async (b) => {
        try {
          parseSentencePieceModel(b, 'fuzz.model');
          reachedWasm++;
        } catch {
          // refused before SentencePiece: also fine
        }
        const refused = await expectCleanFailure(
          async () => (await SentencePieceTokenizer.fromBytes(b, 'fuzz.model')).dispose(),
          isTokenizerError,
          'fuzz.model',
        );
        if (refused) return;
        // a model SentencePiece accepted encodes and decodes, or fails with a TokenizerError
        const tok = await SentencePieceTokenizer.fromBytes(b, 'fuzz.model');
        try {
          await expectCleanFailure(
            () => {
              tok.decode(tok.encode('a test ▁ sentence'));
              tok.encodePieces('abc');
            },
            isTokenizerError,
            '',
          );
        } finally {
          tok.dispose();
        }
      },
      { numRuns: 1500, timeMs: 4000 },
    );
    expect(reachedWasm).toBeGreaterThan(r.inputs / 4);
  });

  it('regression corpus: models SentencePiece threw a bare C++ exception for', async () => {
    const inputs = corpus(CORPUS, 'spm-load');
    expect(inputs.length).toBeGreaterThan(0);
    for (const { bytes } of inputs) {
      await expect(SentencePieceTokenizer.fromBytes(bytes, 'fuzz.model')).rejects.toThrow(
        /SentencePiece could not load fuzz\.model: it stopped with an internal error/,
      );
    }
  });

  it('regression corpus', async () => {
    const inputs = corpus(CORPUS, 'spm-proto');
    expect(inputs.length).toBeGreaterThan(0);
    for (const { bytes } of inputs) {
      const e = await expectCleanFailure(
        () => parseSentencePieceModel(bytes, 'fuzz.model'),
        isTokenizerError,
        'fuzz.model',
      );
      expect(e).toBeInstanceOf(TokenizerError);
    }
  });
});
