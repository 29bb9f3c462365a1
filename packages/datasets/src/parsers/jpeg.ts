import { decode } from 'jpeg-js';
import { DatasetError } from '../errors';

/** Decodes a baseline/progressive JPEG to interleaved RGB (pure JS, browser-safe). */
export function decodeJpegRgb(
  bytes: Uint8Array,
  what = 'JPEG',
): { data: Uint8Array; width: number; height: number } {
  if (bytes.length < 3 || bytes[0] !== 0xff || bytes[1] !== 0xd8) {
    throw new DatasetError('BAD_MAGIC', `${what}: not a JPEG file (missing FF D8 start marker)`);
  }
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 64 });
  } catch (e) {
    throw new DatasetError(
      'CORRUPT',
      `${what}: JPEG does not decode (${(e as Error).message}); the file is corrupt`,
      { cause: e },
    );
  }
  const px = img.width * img.height;
  if (img.data.length === px * 3) return img;
  // grayscale JPEGs come back as one channel: expand to RGB
  if (img.data.length === px) {
    const rgb = new Uint8Array(px * 3);
    for (let i = 0; i < px; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = img.data[i];
    return { data: rgb, width: img.width, height: img.height };
  }
  throw new DatasetError(
    'CORRUPT',
    `${what}: decoded ${img.data.length} bytes for ${img.width}x${img.height}`,
  );
}
