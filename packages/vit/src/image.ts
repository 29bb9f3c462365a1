import { decodeJpegRgb } from '@attnzoo/datasets';
import { convertIndexedToRgb, decode as decodePngFile } from 'fast-png';

/** Pixels in rows, channels last (HWC), values 0–255. Channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray | Float32Array | number[];
  width: number;
  height: number;
  channels: number;
}

/** A file that is not a decodable image, or one larger than MAX_IMAGE_BYTES; the message names the file and the fix. */
export class ImageError extends Error {
  override name = 'ImageError';
}

/**
 * The most bytes a decoded PNG may take (an 8192 × 8192 RGBA image). The header's size is checked
 * before decoding: a few kilobytes of compressed zeros could otherwise ask for gigabytes.
 */
export const MAX_IMAGE_BYTES = 256 * 2 ** 20;

// Samples per pixel by PNG colour type (a palette image is expanded to RGB or RGBA: count 4).
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 4, 4: 2, 6: 4 };

/** Refuses a PNG whose header declares more than MAX_IMAGE_BYTES of pixels. */
function checkPngSize(bytes: Uint8Array, what: string): void {
  if (bytes.length < 29) return; // too short for a header: the decoder says so
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(12) !== 0x49484452) return; // no IHDR first: the decoder says so
  const width = v.getUint32(16);
  const height = v.getUint32(20);
  if (width === 0 || height === 0) {
    // The PNG spec forbids empty images; the decoder would return one with no pixels.
    throw new ImageError(
      `${what}: the PNG header declares ${width}×${height} pixels: an image needs at least one pixel; the file is corrupt.`,
    );
  }
  const sampleBytes = bytes[24] > 8 ? 2 : 1;
  const declared = width * height * (PNG_CHANNELS[bytes[25]] ?? 4) * sampleBytes;
  if (declared > MAX_IMAGE_BYTES) {
    throw new ImageError(
      `${what}: the PNG header declares ${width}×${height} pixels (${(declared / 2 ** 20).toFixed(0)} MiB decoded), ` +
        `over the ${MAX_IMAGE_BYTES / 2 ** 20} MiB limit: the file is corrupt or hostile; resize the image before passing it.`,
    );
  }
}

function decodePng(bytes: Uint8Array, what: string): ReturnType<typeof decodePngFile> {
  checkPngSize(bytes, what);
  try {
    return decodePngFile(bytes);
  } catch (e) {
    throw new ImageError(
      `${what} is not a valid PNG file (${e instanceof Error ? e.message : String(e)}): it is damaged or truncated; export it again.`,
    );
  }
}

export function isPng(bytes: Uint8Array): boolean {
  // The first four signature bytes decide: a file cut short after them is a truncated PNG.
  return (
    bytes.length >= 4 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47
  );
}

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8;
}

/** Decodes a PNG (any bit depth, palette, alpha) or JPEG file to 8-bit HWC pixels. */
export function decodeImage(bytes: Uint8Array, what = 'image'): RawImage {
  if (isPng(bytes)) {
    const png = decodePng(bytes, what);
    if (png.palette) {
      let rgb: Uint8Array;
      try {
        rgb = convertIndexedToRgb(png);
      } catch (e) {
        throw new ImageError(
          `${what} is not a valid PNG file (${e instanceof Error ? e.message : String(e)}): its pixels name colours its palette lacks; export it again.`,
        );
      }
      const channels = rgb.length / (png.width * png.height);
      return { data: rgb, width: png.width, height: png.height, channels };
    }
    let data: Uint8Array;
    if (png.depth === 16) {
      const wide = png.data as Uint16Array;
      data = new Uint8Array(wide.length);
      for (let i = 0; i < wide.length; i++) data[i] = wide[i] >> 8;
    } else if (png.depth === 8) {
      data = png.data as Uint8Array;
    } else {
      // 1, 2 or 4 bits per sample: fast-png unpacks them to one byte per sample in the 0..2^depth-1 range.
      const max = (1 << png.depth) - 1;
      const src = png.data as Uint8Array;
      data = new Uint8Array(src.length);
      for (let i = 0; i < src.length; i++) data[i] = Math.round((src[i] * 255) / max);
    }
    return { data, width: png.width, height: png.height, channels: png.channels };
  }
  if (isJpeg(bytes)) {
    const img = decodeJpegRgb(bytes, what);
    return { data: img.data, width: img.width, height: img.height, channels: 3 };
  }
  throw new ImageError(
    `${what} is neither a PNG nor a JPEG file (unknown signature); decode it first or pass raw pixels.`,
  );
}

/** Checks that a raw image's array holds exactly height × width × channels values. */
export function checkRawImage(img: RawImage, what = 'image'): void {
  const { width, height, channels } = img;
  if (![width, height].every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error(`${what}: width and height must be positive integers, got ${width}×${height}.`);
  }
  if (![1, 2, 3, 4].includes(channels)) {
    throw new Error(
      `${what} has ${channels} channels: images must have 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA).`,
    );
  }
  const want = width * height * channels;
  if (img.data.length !== want) {
    throw new Error(
      `${what}: ${img.data.length} values do not make a ${height}×${width} image with ${channels} channel(s) (${want} values).`,
    );
  }
}

/**
 * Converts to 1 (grey, ITU-R 601 luma) or 3 (RGB) channels; alpha is dropped (composited
 * on black would darken digits drawn on transparent backgrounds, so it is simply ignored).
 */
export function toChannels(img: RawImage, channels: 1 | 3): Float32Array {
  const n = img.width * img.height;
  const c = img.channels;
  const src = img.data;
  const out = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) {
    const p = i * c;
    const grey = c <= 2;
    if (channels === 1) {
      out[i] = grey ? src[p] : 0.299 * src[p] + 0.587 * src[p + 1] + 0.114 * src[p + 2];
    } else {
      out[i * 3] = src[p];
      out[i * 3 + 1] = grey ? src[p] : src[p + 1];
      out[i * 3 + 2] = grey ? src[p] : src[p + 2];
    }
  }
  return out;
}

/**
 * Bilinear resize of HWC float pixels with half-pixel centres (as tf.image.resizeBilinear with
 * halfPixelCenters). Area-like shrinking is not attempted: inputs are expected near model size.
 */
export function resizeBilinear(
  src: Float32Array,
  height: number,
  width: number,
  channels: number,
  outHeight: number,
  outWidth: number,
): Float32Array {
  if (height === outHeight && width === outWidth) return src;
  const out = new Float32Array(outHeight * outWidth * channels);
  const sy = height / outHeight;
  const sx = width / outWidth;
  for (let y = 0; y < outHeight; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, height - 1);
    const wy = fy - y0;
    for (let x = 0; x < outWidth; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, width - 1);
      const wx = fx - x0;
      for (let k = 0; k < channels; k++) {
        const a = src[(y0 * width + x0) * channels + k];
        const b = src[(y0 * width + x1) * channels + k];
        const c = src[(y1 * width + x0) * channels + k];
        const d = src[(y1 * width + x1) * channels + k];
        out[(y * outWidth + x) * channels + k] =
          (a * (1 - wx) + b * wx) * (1 - wy) + (c * (1 - wx) + d * wx) * wy;
      }
    }
  }
  return out;
}
