import { join } from 'node:path';
import { DatasetError } from '@attnzoo/datasets';
import { corpus, expectCleanFailure, fuzz, hostileBytes } from '@attnzoo/fixtures/fuzz';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodeImage, ImageError } from './image';

const CORPUS = join(__dirname, '../fuzz-corpus');
const isLibraryError = (e: unknown) => e instanceof ImageError || e instanceof DatasetError;

function png(width: number, height: number, channels: number, depth: 8 | 16, palette = false): Uint8Array {
  const n = width * height * (palette ? 1 : channels);
  const data = depth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = palette ? i % 4 : (i * 97) % (depth === 16 ? 65536 : 256);
  return encode({
    width,
    height,
    data,
    depth,
    channels: palette ? 1 : channels,
    ...(palette
      ? {
          palette: [
            [0, 0, 0],
            [255, 0, 0],
            [0, 255, 0],
            [0, 0, 255],
          ],
        }
      : {}),
  });
}

const SEEDS = [png(4, 3, 3, 8), png(5, 2, 4, 16), png(3, 3, 1, 8), png(4, 4, 1, 8, true), png(2, 7, 2, 8)];

describe('images: hostile PNG files end in an ImageError naming the file', () => {
  it('the seeds decode', () => {
    for (const s of SEEDS) expect(decodeImage(s, 'seed.png').width).toBeGreaterThan(0);
  });

  it('decodeImage (PNG)', async () => {
    const r = await fuzz(
      'png',
      hostileBytes(SEEDS, 1024),
      (b) =>
        expectCleanFailure(
          () => {
            const img = decodeImage(b, 'fuzz.png');
            // what decodes is exactly width × height × channels values, within the pixel limit
            expect(img.data.length).toBe(img.width * img.height * img.channels);
            expect(img.width * img.height).toBeLessThanOrEqual(100e6);
          },
          isLibraryError,
          'fuzz.png',
        ),
      { numRuns: 3000, timeMs: 4000 },
    );
    expect(r.inputs).toBeGreaterThan(100);
  });

  it('regression corpus', () => {
    const inputs = corpus(CORPUS, 'png');
    expect(inputs.length).toBeGreaterThan(0);
    for (const { name, bytes } of inputs) {
      expect(() => decodeImage(bytes, 'fuzz.png')).toThrow(ImageError);
      if (name.startsWith('header-declares'))
        expect(() => decodeImage(bytes, 'fuzz.png')).toThrow(
          /declares 20000×20000 pixels .* over the 256 MiB limit/,
        );
    }
  });
});
