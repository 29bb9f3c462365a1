/**
 * Label-preserving image augmentation for training from scratch: TrivialAugment (one random op at a
 * random strength per image; Müller & Hutter 2021) over RandAugment's op space, and random erasing
 * (Zhong et al. 2020). Small ViTs trained from scratch on CIFAR-10 overfit with crop and flip alone;
 * these are the augmentations the published small-ViT recipes add.
 *
 * Every op is defined here exactly (nearest-neighbour geometry around the image centre, PIL's
 * enhancement blends, PIL's equalize), so that the PyTorch twin (python/attnzoo_torch/augment.py)
 * computes the same pixels from the same draws; a shared fixture checks it on both sides.
 */

/** The ops TrivialAugment draws from, in draw order (an op index is uniform over this list). */
export const TRIVIAL_AUGMENT_OPS = [
  'identity',
  'shearX',
  'shearY',
  'translateX',
  'translateY',
  'rotate',
  'brightness',
  'color',
  'contrast',
  'sharpness',
  'posterize',
  'solarize',
  'autoContrast',
  'equalize',
] as const;
export type AugmentOp = (typeof TRIVIAL_AUGMENT_OPS)[number];

/** Strength bins (RandAugment's 31): a draw picks bin k, strength m = k / 30 in [0, 1]. */
export const MAGNITUDE_BINS = 31;

const round = (x: number) => Math.floor(x + 0.5);
const clamp255 = (x: number) => (x < 0 ? 0 : x > 255 ? 255 : x);

/**
 * Applies `op` at strength `m` ∈ [0, 1] with `sign` ±1 (for the signed ops) to an H×W×C image of
 * 0–255 integers, writing `dst` (same size; must not alias `src`). Ranges are RandAugment's:
 * shear ≤ 0.3, translate ≤ 45 % of the side, rotate ≤ 30°, enhancement factors 1 ± 0.9,
 * posterize to 8…4 bits, solarize threshold 255…0.
 */
export function applyOp(
  op: AugmentOp,
  m: number,
  sign: 1 | -1,
  src: ArrayLike<number>,
  dst: Float32Array | Uint8Array,
  h: number,
  w: number,
  c: number,
): void {
  switch (op) {
    case 'shearX':
      affine(src, dst, h, w, c, [1, sign * 0.3 * m, 0, 0, 1, 0]);
      return;
    case 'shearY':
      affine(src, dst, h, w, c, [1, 0, 0, sign * 0.3 * m, 1, 0]);
      return;
    case 'translateX':
      affine(src, dst, h, w, c, [1, 0, -sign * 0.45 * m * w, 0, 1, 0]);
      return;
    case 'translateY':
      affine(src, dst, h, w, c, [1, 0, 0, 0, 1, -sign * 0.45 * m * h]);
      return;
    case 'rotate': {
      // Output (x, y) reads source R(−θ)(x, y): the picture turns by θ.
      const t = (sign * 30 * m * Math.PI) / 180;
      const cos = Math.cos(t);
      const sin = Math.sin(t);
      affine(src, dst, h, w, c, [cos, sin, 0, -sin, cos, 0]);
      return;
    }
    case 'brightness':
      blend(src, dst, () => 0, 1 + sign * 0.9 * m);
      return;
    case 'color':
      if (c !== 3) {
        copy(src, dst);
        return;
      }
      blend(src, dst, grey(src, 3), 1 + sign * 0.9 * m, 3);
      return;
    case 'contrast': {
      const g = grey(src, c);
      let sum = 0;
      for (let i = 0; i < h * w; i++) sum += round(g(i * c));
      const mean = round(sum / (h * w));
      blend(src, dst, () => mean, 1 + sign * 0.9 * m);
      return;
    }
    case 'sharpness':
      blend(src, dst, smoothed(src, h, w, c), 1 + sign * 0.9 * m);
      return;
    case 'posterize': {
      // Keep 8 − round(4m) high bits.
      const mask = (0xff << round(4 * m)) & 0xff;
      for (let i = 0; i < dst.length; i++) dst[i] = src[i] & mask;
      return;
    }
    case 'solarize': {
      const threshold = 255 * (1 - m);
      for (let i = 0; i < dst.length; i++) dst[i] = src[i] >= threshold ? 255 - src[i] : src[i];
      return;
    }
    case 'autoContrast':
      perChannel(src, dst, c, autoContrastTable);
      return;
    case 'equalize':
      perChannel(src, dst, c, equalizeTable);
      return;
    default:
      copy(src, dst);
      return;
  }
}

function copy(src: ArrayLike<number>, dst: Float32Array | Uint8Array): void {
  for (let i = 0; i < dst.length; i++) dst[i] = src[i];
}

/**
 * dst(x, y) = src(A·(x−cx, y−cy) + (cx, cy) + t), nearest neighbour, 0 outside; `a` is
 * [a00, a01, tx, a10, a11, ty] on pixel-centre coordinates.
 */
function affine(
  src: ArrayLike<number>,
  dst: Float32Array | Uint8Array,
  h: number,
  w: number,
  c: number,
  a: readonly [number, number, number, number, number, number],
): void {
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = x - cx;
      const v = y - cy;
      const sx = round(a[0] * u + a[1] * v + a[2] + cx);
      const sy = round(a[3] * u + a[4] * v + a[5] + cy);
      const o = (y * w + x) * c;
      if (sx < 0 || sx >= w || sy < 0 || sy >= h) {
        for (let k = 0; k < c; k++) dst[o + k] = 0;
      } else {
        const s = (sy * w + sx) * c;
        for (let k = 0; k < c; k++) dst[o + k] = src[s + k];
      }
    }
  }
}

/** PIL ImageEnhance: out = clamp(round(base + f·(v − base))), base per value index. */
function blend(
  src: ArrayLike<number>,
  dst: Float32Array | Uint8Array,
  base: (i: number) => number,
  f: number,
  stride = 1,
): void {
  for (let i = 0; i < dst.length; i++) {
    const b = base(stride === 1 ? i : i - (i % stride));
    dst[i] = clamp255(round(b + f * (src[i] - b)));
  }
}

/** ITU-R 601 luma of the pixel whose first value is at index i (grey images: the value). */
function grey(src: ArrayLike<number>, c: number): (i: number) => number {
  if (c === 1) return (i) => src[i];
  return (i) => round(0.299 * src[i] + 0.587 * src[i + 1] + 0.114 * src[i + 2]);
}

/** PIL's SMOOTH filter (3×3, centre 5, others 1, /13) inside; border pixels keep their values. */
function smoothed(src: ArrayLike<number>, h: number, w: number, c: number): (i: number) => number {
  const out = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) {
        const o = (y * w + x) * c + k;
        if (y === 0 || x === 0 || y === h - 1 || x === w - 1) {
          out[o] = src[o];
          continue;
        }
        let s = 4 * src[o];
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) s += src[((y + dy) * w + x + dx) * c + k];
        out[o] = clamp255(round(s / 13));
      }
    }
  }
  return (i) => out[i];
}

function perChannel(
  src: ArrayLike<number>,
  dst: Float32Array | Uint8Array,
  c: number,
  table: (hist: Int32Array, count: number) => Float32Array | null,
): void {
  const count = dst.length / c;
  for (let k = 0; k < c; k++) {
    const hist = new Int32Array(256);
    for (let i = k; i < dst.length; i += c) hist[src[i] | 0]++;
    const lut = table(hist, count);
    for (let i = k; i < dst.length; i += c) dst[i] = lut ? lut[src[i] | 0] : src[i];
  }
}

/** Stretch [min, max] of the channel to [0, 255]. */
function autoContrastTable(hist: Int32Array): Float32Array | null {
  let lo = 0;
  while (lo < 255 && hist[lo] === 0) lo++;
  let hi = 255;
  while (hi > 0 && hist[hi] === 0) hi--;
  if (hi <= lo) return null;
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = clamp255(round(((v - lo) * 255) / (hi - lo)));
  return lut;
}

/** PIL ImageOps.equalize: cumulative histogram lookup, the last occupied value left out. */
function equalizeTable(hist: Int32Array, count: number): Float32Array | null {
  let last = 255;
  while (last > 0 && hist[last] === 0) last--;
  const step = Math.floor((count - hist[last]) / 255);
  if (step === 0) return null;
  const lut = new Float32Array(256);
  let n = Math.floor(step / 2);
  for (let v = 0; v < 256; v++) {
    lut[v] = Math.min(255, Math.floor(n / step));
    n += hist[v];
  }
  return lut;
}

/** One TrivialAugment draw: op, strength bin and sign, taken from `random` in that order. */
export interface TrivialAugmentDraw {
  op: AugmentOp;
  magnitude: number;
  sign: 1 | -1;
}

export function drawTrivialAugment(random: () => number): TrivialAugmentDraw {
  const op = TRIVIAL_AUGMENT_OPS[Math.floor(random() * TRIVIAL_AUGMENT_OPS.length)];
  const bin = Math.floor(random() * MAGNITUDE_BINS);
  const sign = random() < 0.5 ? 1 : -1;
  return { op, magnitude: bin / (MAGNITUDE_BINS - 1), sign };
}

/** TrivialAugment: one drawn op at a drawn strength, src → dst. */
export function trivialAugment(
  src: ArrayLike<number>,
  dst: Float32Array | Uint8Array,
  h: number,
  w: number,
  c: number,
  random: () => number,
): TrivialAugmentDraw {
  const d = drawTrivialAugment(random);
  applyOp(d.op, d.magnitude, d.sign, src, dst, h, w, c);
  return d;
}

/**
 * Random erasing on a normalised image: with probability `p`, a rectangle covering 2–33 % of the
 * area with aspect ratio 0.3–3.3 (log-uniform) is set to 0 (the data set mean after
 * normalisation). Up to 10 tries for a rectangle that fits, as torchvision does.
 */
export function randomErasing(
  img: Float32Array,
  h: number,
  w: number,
  c: number,
  p: number,
  random: () => number,
): boolean {
  if (!(p > 0) || random() >= p) return false;
  for (let attempt = 0; attempt < 10; attempt++) {
    const area = h * w * (0.02 + random() * (0.33 - 0.02));
    const ratio = Math.exp(Math.log(0.3) + random() * (Math.log(3.3) - Math.log(0.3)));
    const eh = round(Math.sqrt(area * ratio));
    const ew = round(Math.sqrt(area / ratio));
    if (eh >= h || ew >= w || eh < 1 || ew < 1) continue;
    const y0 = Math.floor(random() * (h - eh + 1));
    const x0 = Math.floor(random() * (w - ew + 1));
    for (let y = y0; y < y0 + eh; y++) img.fill(0, (y * w + x0) * c, (y * w + x0 + ew) * c);
    return true;
  }
  return false;
}
