import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PresetError } from './errors';
import {
  bfloat16Bits,
  bfloat16Value,
  decodeSafetensors,
  encodeSafetensors,
  type SafetensorsTensor,
} from './safetensors';

const SOURCE = 'weights.safetensors';

/** A file put together byte by byte from the format's description, independent of the encoder. */
function handMade(header: string, data: number[], lengthOverride?: number): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, lengthOverride ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

// What Python's `safetensors.numpy.save_file({"a": np.array([1, -2], np.float32), "b": np.array([[1.5]], np.float16)},
// metadata={"k": "v"})` writes: __metadata__ first, names sorted, header padded with spaces to 8 bytes.
const REFERENCE_HEADER =
  '{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[1,1],"data_offsets":[8,10]}}';
const REFERENCE_PADDED = REFERENCE_HEADER + ' '.repeat((8 - (REFERENCE_HEADER.length % 8)) % 8);
// 1.0f = 00 00 80 3f, -2.0f = 00 00 00 c0, 1.5h = 00 3e
const REFERENCE_DATA = [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x3e];

function errorOf(run: () => unknown): PresetError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(PresetError);
    expect((e as Error).message).toContain(SOURCE);
    return e as PresetError;
  }
  throw new Error('expected a PresetError');
}

describe('safetensors codec', () => {
  it('reads a file laid out by hand from the format description', () => {
    const { tensors, metadata } = decodeSafetensors(handMade(REFERENCE_PADDED, REFERENCE_DATA), {
      source: SOURCE,
    });
    expect(metadata).toEqual({ k: 'v' });
    expect(tensors.map((t) => [t.name, t.dtype, t.shape, [...t.data]])).toEqual([
      ['a', 'float32', [2], [1, -2]],
      ['b', 'float16', [1, 1], [1.5]],
    ]);
  });

  it("reads files written by the PyTorch twin's numpy writer (python/attnzoo_torch/safetensors_io.py)", () => {
    const read = (name: string) =>
      decodeSafetensors(new Uint8Array(readFileSync(join(__dirname, 'testing', name))), { source: name });
    const f16 = read('twin-f16.safetensors');
    expect(f16.metadata).toEqual({ format: 'attnzoo', 'attnzoo.preset': 'twin' });
    expect(f16.tensors.map((t) => [t.name, t.dtype, t.shape, [...t.data]])).toEqual([
      ['block/kernel', 'float16', [2, 2], [1, -2, 0.5, 3.140625]],
      ['head/bias', 'float16', [2], [65504, 0.333251953125]],
    ]);
    const bf16 = read('twin-bf16.safetensors');
    expect(bf16.metadata).toEqual({});
    expect(bf16.tensors[0].dtype).toBe('bfloat16');
    expect([...bf16.tensors[0].data].slice(0, 2)).toEqual([1, 3.140625]);
    expect(bfloat16Bits(-1e30)).toBe(0xf14a); // what numpy's writer stored
    expect(bf16.tensors[0].data[2]).toBe(bfloat16Value(0xf14a));
    // and our writer stores the same values in the same bytes
    const again = encodeSafetensors(f16.tensors, f16.metadata);
    const data = (b: Uint8Array) => [...b.subarray(b.length - 12)];
    expect(data(again)).toEqual(
      data(new Uint8Array(readFileSync(join(__dirname, 'testing/twin-f16.safetensors')))),
    );
  });

  it('writes the same bytes as the reference layout (header padded with spaces to 8 bytes)', () => {
    const bytes = encodeSafetensors(
      [
        { name: 'a', dtype: 'float32', shape: [2], data: new Float32Array([1, -2]) },
        { name: 'b', dtype: 'float16', shape: [1, 1], data: new Float32Array([1.5]) },
      ],
      { k: 'v' },
    );
    expect([...bytes]).toEqual([...handMade(REFERENCE_PADDED, REFERENCE_DATA)]);
    expect((bytes.length - 8) % 8).toBe(REFERENCE_DATA.length % 8);
  });

  it('round-trips float32 bit for bit, and float16/bfloat16 to their rounding', () => {
    const values = new Float32Array([0, -0, 1, -1.25, 3.3333, 65504, 1e-8, 1e30, Number.POSITIVE_INFINITY]);
    const tensors: SafetensorsTensor[] = [
      { name: 'f32', dtype: 'float32', shape: [3, 3], data: values },
      { name: 'f16', dtype: 'float16', shape: [9], data: values },
      { name: 'bf16', dtype: 'bfloat16', shape: [9, 1], data: values },
      { name: 'empty', dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
      { name: 'scalar', dtype: 'float32', shape: [], data: new Float32Array([7]) },
    ];
    const back = decodeSafetensors(encodeSafetensors(tensors)).tensors;
    const byName = Object.fromEntries(back.map((t) => [t.name, t]));
    expect(new Uint8Array(byName.f32.data.buffer)).toEqual(new Uint8Array(values.buffer));
    expect(byName.f16.data[2]).toBe(1);
    expect(byName.f16.data[4]).toBe(3.333984375);
    expect(byName.f16.data[7]).toBe(Number.POSITIVE_INFINITY); // 1e30 overflows half
    expect(byName.bf16.data[4]).toBe(3.328125);
    expect(byName.bf16.data[7]).toBeCloseTo(1e30, -27);
    expect(byName.empty.shape).toEqual([0, 4]);
    expect([...byName.scalar.data]).toEqual([7]);
  });

  it('bfloat16: known bit patterns, round to nearest with ties to even', () => {
    expect(bfloat16Bits(1)).toBe(0x3f80);
    expect(bfloat16Bits(-2)).toBe(0xc000);
    expect(bfloat16Bits(3.140625)).toBe(0x4049);
    expect(bfloat16Bits(Math.PI)).toBe(0x4049); // 0x40490fdb rounds down
    expect(bfloat16Bits(0)).toBe(0);
    expect(bfloat16Bits(-0)).toBe(0x8000);
    expect(bfloat16Bits(Number.POSITIVE_INFINITY)).toBe(0x7f80);
    expect(bfloat16Bits(3.4e38)).toBe(0x7f80); // above the largest bfloat16: rounds to Infinity
    expect(bfloat16Bits(Number.NaN) & 0x7fc0).toBe(0x7fc0);
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    u[0] = 0x3f808000; // exactly halfway between 0x3f80 and 0x3f81: to the even 0x3f80
    expect(bfloat16Bits(f[0])).toBe(0x3f80);
    u[0] = 0x3f818000; // halfway between 0x3f81 and 0x3f82: to the even 0x3f82
    expect(bfloat16Bits(f[0])).toBe(0x3f82);
    u[0] = 0x3f808001; // just above halfway: up
    expect(bfloat16Bits(f[0])).toBe(0x3f81);
    u[0] = 0x7f7fffff; // largest float32 rounds to Infinity
    expect(bfloat16Bits(f[0])).toBe(0x7f80);
    for (let bits = 0; bits < 65536; bits++) {
      const v = bfloat16Value(bits);
      if (!Number.isNaN(v)) expect(bfloat16Bits(v)).toBe(bits);
    }
  });

  it('float16: known bit patterns through the file', () => {
    const bytes = encodeSafetensors([
      {
        name: 'h',
        dtype: 'float16',
        shape: [5],
        data: new Float32Array([1, -2, 65504, 2 ** -24, 1 + 2 ** -11]),
      },
    ]);
    const raw = new Uint16Array(bytes.slice(bytes.length - 10).buffer);
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even gives 1 (0x3c00)
    expect([...raw]).toEqual([0x3c00, 0xc000, 0x7bff, 0x0001, 0x3c00]);
  });

  it('refuses bad tensors to encode', () => {
    const t = (x: Partial<SafetensorsTensor>) =>
      encodeSafetensors([{ name: 'w', dtype: 'float32', shape: [2], data: new Float32Array(2), ...x }]);
    expect(() => t({ shape: [3] })).toThrow(PresetError);
    expect(() => t({ dtype: 'int8' as never })).toThrow(/float32, float16 or bfloat16/);
    expect(() => t({ name: '__metadata__' })).toThrow(PresetError);
    expect(() =>
      encodeSafetensors([
        { name: 'w', dtype: 'float32', shape: [], data: new Float32Array(1) },
        { name: 'w', dtype: 'float32', shape: [], data: new Float32Array(1) },
      ]),
    ).toThrow(/unique/);
    expect(() => encodeSafetensors([], { k: 1 as never })).toThrow(/strings/);
  });
});

describe('safetensors: bad files are a PresetError naming the file, the problem and the fix', () => {
  const good = () => handMade(REFERENCE_PADDED, REFERENCE_DATA);
  const withHeader = (header: string, data = REFERENCE_DATA) => handMade(header, data);
  const decode = (bytes: Uint8Array, maxHeaderBytes?: number) =>
    errorOf(() => decodeSafetensors(bytes, { source: SOURCE, maxHeaderBytes }));

  it('truncated files', () => {
    expect(decode(good().slice(0, 5)).code).toBe('truncated');
    expect(decode(good().slice(0, 40)).message).toMatch(/declares a header of \d+ bytes but holds only/);
    const e = decode(good().slice(0, good().length - 1));
    expect(e.code).toBe('truncated');
    expect(e.message).toMatch(/tensor b .*truncated/);
  });

  it('a header length beyond the file or beyond the cap', () => {
    expect(decode(handMade('{}', [], 1000)).code).toBe('truncated');
    const huge = good();
    new DataView(huge.buffer).setUint32(4, 0x7fffffff, true);
    expect(decode(huge).code).toBe('too-large');
    expect(decode(good(), 16).message).toMatch(/more than the 16 allowed.*maxHeaderBytes/);
  });

  it('invalid JSON, a header that is not an object, invalid UTF-8', () => {
    expect(decode(withHeader('{"a": ')).message).toMatch(/not valid JSON/);
    expect(decode(withHeader('[1,2]   ', [])).message).toMatch(/not a JSON object/);
    expect(decode(withHeader('null    ', [])).message).toMatch(/not a JSON object/);
    const bad = handMade('{"\u00e9":1}', []);
    bad[10] = 0xff;
    expect(decode(bad).message).toMatch(/UTF-8|JSON/);
  });

  it('unknown dtypes, with the ones attnzoo reads', () => {
    const e = decode(
      withHeader('{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}', [0, 0, 0, 0, 0, 0, 0, 0]),
    );
    expect(e.message).toMatch(/"F64", a safetensors dtype attnzoo does not read.*F32, F16 and BF16/);
    expect(
      decode(withHeader('{"a":{"dtype":"toString","shape":[],"data_offsets":[0,4]}}', [0, 0, 0, 0])).message,
    ).toMatch(/not a safetensors dtype/);
  });

  it('shape and offsets that disagree, bad shapes and offsets', () => {
    const four = [0, 0, 0, 0];
    expect(
      decode(withHeader('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', four)).message,
    ).toMatch(/shape \[2\]\) 4 bytes .* needs 8/);
    expect(
      decode(withHeader('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', four)).message,
    ).toMatch(/shape/);
    expect(
      decode(withHeader('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}', four)).message,
    ).toMatch(/data_offsets/);
    expect(decode(withHeader('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', four)).message).toMatch(
      /data_offsets/,
    );
    expect(decode(withHeader('{"a":[1]}', four)).message).toMatch(/not an object/);
  });

  it('overlapping, out-of-range and non-contiguous offsets, trailing bytes', () => {
    const eight = [0, 0, 0, 0, 0, 0, 0, 0];
    expect(
      decode(
        withHeader(
          '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}',
          eight,
        ),
      ).message,
    ).toMatch(/overlapping/);
    expect(
      decode(withHeader('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', eight)).message,
    ).toMatch(/unused.*contiguous/);
    expect(
      decode(withHeader('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', eight)).message,
    ).toMatch(/trailing bytes/);
    expect(decode(withHeader('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', eight)).code).toBe(
      'truncated',
    );
  });

  it('duplicate names and non-string metadata', () => {
    const four = [0, 0, 0, 0];
    expect(
      decode(
        withHeader(
          '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
          four,
        ),
      ).message,
    ).toMatch(/"a" twice/);
    expect(
      decode(
        withHeader('{"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', four),
      ).message,
    ).toMatch(/"k" that is a number, not a string/);
    expect(
      decode(withHeader('{"__metadata__":[],"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', four))
        .message,
    ).toMatch(/__metadata__/);
  });

  it('names with escapes and nested braces are read as they are written', () => {
    const name = 'we"ird\\name{[';
    const bytes = encodeSafetensors([{ name, dtype: 'float32', shape: [1], data: new Float32Array([2]) }], {
      note: '}{"x":',
    });
    const back = decodeSafetensors(bytes);
    expect(back.tensors[0].name).toBe(name);
    expect(back.metadata).toEqual({ note: '}{"x":' });
  });
});
