import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeFloat16, encodeFloat16, float16Bits, float16Value, roundToFloat16 } from './float16';
import { useCpu } from './testing/models';

/** tfjs's own float16 dequantiser, through the public decodeWeights. */
function tfjsDecode(bits: Uint16Array): Float32Array {
  const named = tf.io.decodeWeights(bits.slice().buffer, [
    { name: 'w', shape: [bits.length], dtype: 'float32', quantization: { dtype: 'float16' } },
  ]);
  const out = named.w.dataSync() as Float32Array;
  named.w.dispose();
  return out;
}

describe('float16', () => {
  beforeAll(useCpu);

  it('decodes all 65536 bit patterns exactly as tfjs does', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const ours = decodeFloat16(all);
    const theirs = tfjsDecode(all);
    for (let i = 0; i < all.length; i++) {
      if (Number.isNaN(theirs[i])) expect(Number.isNaN(ours[i])).toBe(true);
      else expect(Object.is(ours[i], theirs[i]) || ours[i] === theirs[i]).toBe(true);
    }
  });

  it('encodes every finite half back to its own bits', () => {
    for (let bits = 0; bits < 65536; bits++) {
      if (((bits >> 10) & 0x1f) === 0x1f && bits & 0x3ff) continue; // NaN payloads
      expect(float16Bits(float16Value(bits))).toBe(bits);
    }
  });

  it('rounds to nearest, ties to even, with subnormals, overflow and specials', () => {
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie: stays on even 1.0
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie: rounds up to even
    expect(float16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // above the tie
    expect(float16Value(float16Bits(65504))).toBe(65504);
    expect(float16Bits(65519)).toBe(0x7bff); // below the halfway point to 65536
    expect(float16Bits(65520)).toBe(0x7c00); // rounds to Infinity
    expect(float16Bits(-1e9)).toBe(0xfc00);
    expect(float16Bits(Number.POSITIVE_INFINITY)).toBe(0x7c00);
    expect(Number.isNaN(float16Value(float16Bits(Number.NaN)))).toBe(true);
    expect(float16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float16Bits(2 ** -25)).toBe(0x0000); // tie with zero: even
    expect(float16Bits(2 ** -25 * 1.0001)).toBe(0x0001);
    expect(float16Bits(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 subnormal units: even
    expect(float16Bits(2 ** -14 - 2 ** -26)).toBe(0x0400); // rounds up into the smallest normal
    expect(float16Bits(-0)).toBe(0x8000);
    expect(Object.is(float16Value(0x8000), -0)).toBe(true);
    expect(float16Value(0x3555)).toBeCloseTo(1 / 3, 3);
  });

  it('keeps the relative error within half an ulp for normal values', () => {
    const values = Float32Array.from({ length: 2000 }, (_, i) => Math.sin(i * 12.9898) * 10 ** ((i % 9) - 4));
    const back = decodeFloat16(encodeFloat16(values));
    for (let i = 0; i < values.length; i++) {
      if (Math.abs(values[i]) < 2 ** -14) continue;
      expect(Math.abs(back[i] - values[i]) / Math.abs(values[i])).toBeLessThanOrEqual(2 ** -11);
      expect(back[i]).toBe(roundToFloat16(values[i]));
    }
  });
});
