import { expectCleanFailure, fuzz, mutated } from '@attnzoo/fixtures/fuzz';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PresetError } from './errors';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from './safetensors';

const WHERE = 'fuzz.safetensors';
const isPresetError = (e: unknown) => e instanceof PresetError;

const seeds: Uint8Array[] = [
  encodeSafetensors(
    [
      {
        name: 'embed/embeddings',
        dtype: 'float32',
        shape: [3, 2],
        data: new Float32Array([1, 2, 3, 4, 5, 6]),
      },
      {
        name: 'block0/query_kernel',
        dtype: 'float16',
        shape: [2, 2],
        data: new Float32Array([0.5, -1, 2, 8]),
      },
      { name: 'head/bias', dtype: 'bfloat16', shape: [3], data: new Float32Array([1, 0, -1]) },
      { name: 'empty', dtype: 'float32', shape: [0], data: new Float32Array(0) },
    ],
    { format: 'attnzoo', 'attnzoo.config': '{"formatVersion":1}' },
  ),
  encodeSafetensors([{ name: 'w', dtype: 'float32', shape: [], data: new Float32Array([3]) }]),
];

// Header edits a hostile writer may make: a value swapped for an odd one in a tensor entry or the metadata.
const oddValue = fc.constantFrom<unknown>(
  null,
  -1,
  1e300,
  2 ** 53,
  '12',
  [],
  {},
  [0],
  [1, 0],
  [0, 2 ** 60],
  [-4, 4],
  [2 ** 31, 2 ** 31, 2 ** 31],
  [0.5],
  'F64',
  'BOOL',
  'toString',
  { k: 1 },
);
const entryKey = fc.constantFrom('dtype', 'shape', 'data_offsets', 'entry', '__metadata__');

function oddHeader(at: number, key: string, value: unknown): Uint8Array {
  const bytes = seeds[0];
  const n = new DataView(bytes.buffer).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const name = names[at % names.length];
  if (key === 'entry') header[name] = value;
  else if (key === '__metadata__') header.__metadata__ = value;
  else header[name][key] = value;
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + json.length);
  return out;
}

const hostile = fc.oneof(
  mutated(seeds),
  fc.tuple(fc.nat(), entryKey, oddValue).map(([at, key, value]) => oddHeader(at, key, value)),
);

describe('safetensors: hostile files end in a PresetError naming the file', () => {
  it('decodeSafetensors', async () => {
    let accepted = 0;
    const r = await fuzz(
      'safetensors',
      hostile,
      async (bytes) => {
        await expectCleanFailure(
          () => {
            const { tensors } = decodeSafetensors(bytes, { source: WHERE });
            accepted++;
            // whatever is accepted is self-consistent and writes back to a file that reads the same
            const again = decodeSafetensors(encodeSafetensors(tensors as SafetensorsTensor[]));
            expect(again.tensors.map((t) => [t.name, t.shape])).toEqual(
              tensors.map((t) => [t.name, t.shape]),
            );
          },
          isPresetError,
          WHERE,
        );
      },
      { numRuns: 3000, timeMs: 4000 },
    );
    console.log(`fuzz safetensors: ${accepted} of ${r.inputs} mutated files were still valid`);
    expect(r.inputs).toBeGreaterThan(100);
  });
});
