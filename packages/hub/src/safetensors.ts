/**
 * The safetensors format (https://github.com/huggingface/safetensors), read and written in plain
 * TypeScript (browser-safe): an 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {key: string}}` padded with
 * spaces, then the tensors' bytes (row-major, little-endian), contiguous and in offset order.
 * Values always come and go as Float32Array; F16 and BF16 are converted with round to nearest even.
 */
import { PresetError } from './errors';
import { float16Bits, float16Value } from './float16';

export type SafetensorsDtype = 'float32' | 'float16' | 'bfloat16';

export interface SafetensorsTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** The values, row-major (float16 and bfloat16 ones widened exactly to float32). */
  data: Float32Array;
}

export interface DecodedSafetensors {
  /** In the order of their bytes in the file. */
  tensors: SafetensorsTensor[];
  metadata: Record<string, string>;
}

export interface DecodeSafetensorsOptions {
  /** The file's name or URL, for messages (default `the safetensors file`). */
  source?: string;
  /** Refuse headers longer than this many bytes (default 100 MB). */
  maxHeaderBytes?: number;
}

export const SAFETENSORS_METADATA_KEY = '__metadata__';
export const DEFAULT_MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

/** The format's dtype codes this library reads and writes. */
const CODES: Record<SafetensorsDtype, string> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' };
const DTYPES: Record<string, SafetensorsDtype> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };
const WIDTH: Record<SafetensorsDtype, number> = { float32: 4, float16: 2, bfloat16: 2 };
/** Other dtypes of the format, named in messages so that a user knows the file is valid but unsupported. */
const OTHER_CODES = [
  'F64',
  'F8_E4M3',
  'F8_E5M2',
  'I64',
  'I32',
  'I16',
  'I8',
  'U64',
  'U32',
  'U16',
  'U8',
  'BOOL',
];

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The bfloat16 bit pattern nearest to `value` (round to nearest, ties to even; NaN stays NaN). */
export function bfloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40; // quiet NaN
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff; // may carry into Infinity: correct
}

/** The number a bfloat16 bit pattern stands for (exact in float32). */
export function bfloat16Value(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0];
}

function fail(
  code: 'truncated' | 'too-large' | 'invalid',
  source: string,
  problem: string,
  fix: string,
): never {
  throw new PresetError(code, `${source} ${problem}: ${fix}.`);
}

const REWRITE = 'the file is damaged or was not written as safetensors; export or download it again';

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/**
 * A safetensors file holding `tensors` in the given order with the given dtypes, and
 * `metadata` as its `__metadata__` (left out when empty).
 */
export function encodeSafetensors(
  tensors: readonly SafetensorsTensor[],
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  const entries = Object.entries(metadata);
  for (const [key, value] of entries) {
    if (typeof value !== 'string')
      throw new PresetError(
        'invalid',
        `safetensors metadata values must be strings, but ${key} is ${typeof value}: JSON.stringify it first.`,
      );
  }
  if (entries.length) header[SAFETENSORS_METADATA_KEY] = Object.fromEntries(entries);
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === SAFETENSORS_METADATA_KEY || t.name === '')
      throw new PresetError('invalid', `A tensor may not be named ${JSON.stringify(t.name)} in safetensors.`);
    if (seen.has(t.name))
      throw new PresetError('invalid', `Two tensors are named ${t.name}: safetensors names must be unique.`);
    seen.add(t.name);
    if (!(t.dtype in CODES))
      throw new PresetError(
        'invalid',
        `Tensor ${t.name} has dtype ${t.dtype}: write float32, float16 or bfloat16.`,
      );
    if (!checkShape(t.shape))
      throw new PresetError(
        'invalid',
        `Tensor ${t.name} has shape ${JSON.stringify(t.shape)}: a shape is a list of non-negative integers.`,
      );
    if (elementCount(t.shape) !== t.data.length)
      throw new PresetError(
        'shape-mismatch',
        `Tensor ${t.name} has shape [${t.shape.join(',')}] (${elementCount(t.shape)} values) but ${t.data.length} values.`,
      );
    const size = t.data.length * WIDTH[t.dtype];
    // Object key order: integer-like names would be moved first, but offsets, not key order, place the bytes.
    header[t.name] = { dtype: CODES[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, padded, true);
  view.setUint32(4, Math.floor(padded / 2 ** 32), true);
  out.set(json, 8);
  let at = 8 + padded;
  for (const t of tensors) {
    const { data } = t;
    if (t.dtype === 'float32') {
      for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i], true);
    } else {
      const bits = t.dtype === 'float16' ? float16Bits : bfloat16Bits;
      for (let i = 0; i < data.length; i++) view.setUint16(at + 2 * i, bits(data[i]), true);
    }
    at += data.length * WIDTH[t.dtype];
  }
  return out;
}

/**
 * The keys of the top-level JSON object in `text`, in order and with repeats (JSON.parse keeps
 * only the last of duplicate keys, which would hide a second tensor of the same name).
 */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (depth === 1) {
        let j = i + 1;
        while (j < text.length && /\s/.test(text[j])) j++;
        if (text[j] === ':') keys.push(JSON.parse(text.slice(start, i + 1)) as string);
      }
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}

interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Reads a safetensors file, checking everything before any value is read: the header length, the
 * JSON, every entry's dtype, shape and offsets (contiguous, in range, sized for the shape), unique
 * names and string metadata. Any problem is a PresetError naming `source`, the problem and the fix.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  options: DecodeSafetensorsOptions = {},
): DecodedSafetensors {
  const source = options.source ?? 'the safetensors file';
  const cap = options.maxHeaderBytes ?? DEFAULT_MAX_SAFETENSORS_HEADER_BYTES;
  if (!(bytes instanceof Uint8Array))
    throw new PresetError('invalid', `${source} must be given as a Uint8Array of its bytes.`);
  if (bytes.byteLength < 8)
    fail(
      'truncated',
      source,
      `has ${bytes.byteLength} bytes, fewer than the 8 of a safetensors header length`,
      'the file is truncated; export or download it again',
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (n > cap)
    fail(
      'too-large',
      source,
      `declares a header of ${n} bytes, more than the ${cap} allowed`,
      `it is not a safetensors file or is damaged (a larger limit is the maxHeaderBytes option)`,
    );
  if (n > bytes.byteLength - 8)
    fail(
      'truncated',
      source,
      `declares a header of ${n} bytes but holds only ${bytes.byteLength - 8} after the length`,
      'the file is truncated, or not a safetensors file; export or download it again',
    );
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail('invalid', source, 'has a header that is not valid UTF-8', REWRITE);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    fail('invalid', source, `has a header that is not valid JSON (${(error as Error).message})`, REWRITE);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    fail('invalid', source, 'has a header that is not a JSON object', REWRITE);
  const keys = topLevelKeys(text);
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key))
      fail(
        'invalid',
        source,
        `names ${JSON.stringify(key)} twice in its header`,
        'names must be unique; export the file again',
      );
    seen.add(key);
  }

  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === SAFETENSORS_METADATA_KEY) {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        fail('invalid', source, 'has __metadata__ that is not an object of strings', REWRITE);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string')
          fail(
            'invalid',
            source,
            `has a __metadata__ value ${JSON.stringify(k)} that is a ${v === null ? 'null' : typeof v}, not a string`,
            'safetensors metadata holds strings only; export the file again',
          );
        Object.defineProperty(metadata, k, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      continue;
    }
    const spec = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
      fail('invalid', source, `has an entry for tensor ${name} that is not an object`, REWRITE);
    const code = spec.dtype;
    if (typeof code !== 'string' || !Object.hasOwn(DTYPES, code)) {
      const known = typeof code === 'string' && OTHER_CODES.includes(code);
      fail(
        'invalid',
        source,
        `stores tensor ${name} as ${JSON.stringify(code)}${known ? ', a safetensors dtype attnzoo does not read' : ', which is not a safetensors dtype'}`,
        'attnzoo reads F32, F16 and BF16: convert the tensors to float32 (or float16/bfloat16) and export again',
      );
    }
    if (!checkShape(spec.shape))
      fail(
        'invalid',
        source,
        `gives tensor ${name} the shape ${JSON.stringify(spec.shape)}, not a list of non-negative integers`,
        REWRITE,
      );
    const offsets = spec.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    )
      fail(
        'invalid',
        source,
        `gives tensor ${name} the data_offsets ${JSON.stringify(offsets)}, not [begin, end] with 0 ≤ begin ≤ end`,
        REWRITE,
      );
    const dtype = DTYPES[code];
    const count = elementCount(spec.shape);
    const [begin, end] = offsets as [number, number];
    if (!Number.isSafeInteger(count) || count * WIDTH[dtype] !== end - begin)
      fail(
        'invalid',
        source,
        `gives tensor ${name} (${code}, shape [${spec.shape.join(',')}]) ${end - begin} bytes at [${begin}, ${end}], but that shape needs ${count * WIDTH[dtype]}`,
        REWRITE,
      );
    entries.push({ name, dtype, shape: spec.shape, begin, end });
  }

  const bufferStart = 8 + n;
  const bufferLength = bytes.byteLength - bufferStart;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous: Entry | undefined;
  for (const e of entries) {
    if (e.begin < expected)
      fail(
        'invalid',
        source,
        `has tensors ${previous!.name} [${previous!.begin}, ${previous!.end}] and ${e.name} [${e.begin}, ${e.end}] overlapping`,
        REWRITE,
      );
    if (e.end > bufferLength)
      fail(
        'truncated',
        source,
        `places tensor ${e.name} at bytes [${e.begin}, ${e.end}] of its data, which holds ${bufferLength}`,
        'the file is truncated; export or download it again',
      );
    if (e.begin > expected)
      fail(
        'invalid',
        source,
        `leaves bytes [${expected}, ${e.begin}) of its data unused before tensor ${e.name}: tensors must be contiguous`,
        REWRITE,
      );
    expected = e.end;
    previous = e;
  }
  if (expected !== bufferLength)
    fail(
      'invalid',
      source,
      `holds ${bufferLength} bytes of data after its header but its tensors take ${expected}`,
      'the file has trailing bytes or lost its header entries; export or download it again',
    );

  const tensors: SafetensorsTensor[] = entries.map((e) => {
    const count = elementCount(e.shape);
    const data = new Float32Array(count);
    const at = bufferStart + e.begin;
    if (e.dtype === 'float32') {
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(at + 4 * i, true);
    } else {
      const value = e.dtype === 'float16' ? float16Value : bfloat16Value;
      for (let i = 0; i < count; i++) data[i] = value(view.getUint16(at + 2 * i, true));
    }
    return { name: e.name, dtype: e.dtype, shape: e.shape, data };
  });
  return { tensors, metadata };
}
