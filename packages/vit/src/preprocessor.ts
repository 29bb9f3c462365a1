import { type ImageSplit, imageAt } from '@attnzoo/datasets';
import * as tf from '@tensorflow/tfjs-core';
import { randomErasing, trivialAugment } from './augment';
import { checkRawImage, decodeImage, type RawImage, resizeBilinear, toChannels } from './image';

export interface AugmentConfig {
  /** Random crop after zero-padding each side by this many pixels (0: off). */
  cropPadding?: number;
  /** Mirror left-right with probability 1/2. */
  horizontalFlip?: boolean;
  /** TrivialAugment over RandAugment's ops, before crop and flip (see augment.ts; default off). */
  trivialAugment?: boolean;
  /** Probability of random erasing after normalisation (default 0: off). */
  randomErasing?: number;
}

export interface ImagePreprocessorConfig {
  /** Square side the model takes. */
  imageSize: number;
  /** 1 (grey) or 3 (RGB): inputs are converted to this. */
  channels: 1 | 3;
  /** Multiplies raw 0–255 pixels first (default 1/255). */
  rescale?: number;
  /** Per-channel mean and standard deviation subtracted / divided after rescaling (default 0.5, 0.5). */
  mean?: number[];
  std?: number[];
  /** Training-time augmentation (never applied by predict or evaluate). */
  augment?: AugmentConfig;
}

/** What predict accepts per image: PNG/JPEG file bytes, raw pixels, or a [H, W, C] tensor of 0–255 values. */
export type ImageInput = Uint8Array | RawImage | tf.Tensor3D;

function isRawImage(x: unknown): x is RawImage {
  return (
    typeof x === 'object' && x !== null && 'data' in x && 'width' in x && 'height' in x && 'channels' in x
  );
}

/**
 * Turns images into model input: decodes PNG/JPEG, converts grey/RGB, resizes (bilinear) to the
 * model's size, rescales and normalises. With `augment`, training batches also get a seeded
 * random crop (zero padding) and horizontal flip, optionally TrivialAugment and random erasing.
 * Pixel work is done in JS on the host, so it is identical on every backend and costs the GPU nothing.
 */
export class ImagePreprocessor {
  static readonly className = 'attnzoo.vit.ImagePreprocessor';
  readonly config: Required<Omit<ImagePreprocessorConfig, 'augment'>> & { augment: AugmentConfig };
  private readonly scale: Float32Array;
  private readonly shift: Float32Array;

  constructor(config: ImagePreprocessorConfig) {
    if (config.channels !== 1 && config.channels !== 3) {
      throw new Error(`ImagePreprocessor: channels must be 1 or 3, got ${config.channels}.`);
    }
    if (!Number.isInteger(config.imageSize) || config.imageSize < 1) {
      throw new Error(`ImagePreprocessor: imageSize must be a positive integer, got ${config.imageSize}.`);
    }
    const c = config.channels;
    const mean = config.mean ?? new Array(c).fill(0.5);
    const std = config.std ?? new Array(c).fill(0.5);
    if (mean.length !== c || std.length !== c || std.some((s) => !(s > 0))) {
      throw new Error(
        `ImagePreprocessor: mean and std need ${c} value(s) each (std > 0), got mean [${mean}] std [${std}].`,
      );
    }
    this.config = {
      imageSize: config.imageSize,
      channels: c,
      rescale: config.rescale ?? 1 / 255,
      mean,
      std,
      augment: { cropPadding: 0, horizontalFlip: false, ...config.augment },
    };
    // (x * rescale - mean) / std  ==  x * scale + shift
    this.scale = Float32Array.from(std, (s) => this.config.rescale / s);
    this.shift = Float32Array.from(mean, (m, i) => -m / std[i]);
  }

  getConfig(): ImagePreprocessorConfig {
    return JSON.parse(JSON.stringify(this.config));
  }

  /** The shape one image has after preprocessing: [H, W, C]. */
  get shape(): [number, number, number] {
    return [this.config.imageSize, this.config.imageSize, this.config.channels];
  }

  /** Normalises 0–255 HWC values at model size in place. */
  private normalise(px: Float32Array): Float32Array {
    const c = this.config.channels;
    for (let i = 0; i < px.length; i++) {
      const k = i % c;
      px[i] = px[i] * this.scale[k] + this.shift[k];
    }
    return px;
  }

  /** One decoded or raw image → normalised HWC values at model size. */
  pixels(image: Uint8Array | RawImage, what = 'image', warnings?: (string | undefined)[]): Float32Array {
    const raw = image instanceof Uint8Array ? decodeImage(image, what) : image;
    checkRawImage(raw, what);
    const { imageSize: s, channels } = this.config;
    warnings?.push(sizeWarning(raw.width, raw.height, s));
    const converted = toChannels(raw, channels);
    const resized = resizeBilinear(converted, raw.height, raw.width, channels, s, s);
    return this.normalise(resized);
  }

  /**
   * Images → a [n, H, W, C] float tensor ready for the model. Files and raw pixel arrays are
   * converted and resized; tensors must already have the model's size and channel count
   * (a 4D tensor is a batch, a 3D tensor one image) with 0–255 values.
   */
  async preprocess(
    images: ImageInput | ImageInput[] | tf.Tensor4D,
    /** Filled with one entry per image: why its prediction deserves less trust, or undefined. */
    warnings?: (string | undefined)[],
  ): Promise<tf.Tensor4D> {
    const [h, w, c] = this.shape;
    if (images instanceof tf.Tensor) {
      const shape = images.shape;
      const ok =
        (shape.length === 4 || shape.length === 3) && shape.slice(-3).every((d, i) => d === [h, w, c][i]);
      if (!ok) {
        throw new Error(
          `Image tensor of shape [${shape}] does not fit this model, which takes [${h}, ${w}, ${c}] images ` +
            `(or a batch [n, ${h}, ${w}, ${c}]) with 0-255 values: resize it, or pass files / raw pixels, which are resized and converted.`,
        );
      }
      return tf.tidy(() => {
        const batch = (shape.length === 3 ? tf.expandDims(images, 0) : images) as tf.Tensor4D;
        const scale = tf.tensor1d(this.scale);
        const shift = tf.tensor1d(this.shift);
        return tf.add(tf.mul(tf.cast(batch, 'float32'), scale), shift) as tf.Tensor4D;
      });
    }
    const list = Array.isArray(images) ? images : [images];
    if (list.length === 0) throw new Error('No images given.');
    const size = h * w * c;
    const out = new Float32Array(list.length * size);
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      const what = `image ${i}`;
      if (item instanceof tf.Tensor) {
        const t = await this.preprocess(item as tf.Tensor3D);
        out.set(await t.data(), i * size);
        t.dispose();
        warnings?.push(undefined);
      } else if (item instanceof Uint8Array || isRawImage(item)) {
        out.set(this.pixels(item, what, warnings), i * size);
      } else {
        throw new Error(
          `${what} is not PNG/JPEG bytes, a raw image {data, width, height, channels} or a tensor.`,
        );
      }
    }
    return tf.tensor4d(out, [list.length, h, w, c]);
  }

  /** Throws a clear error unless the data set's images already have the model's size and channels. */
  checkSplit(split: ImageSplit, what = 'the data set'): void {
    const [h, w, c] = this.shape;
    if (split.height !== h || split.width !== w || split.channels !== c) {
      throw new Error(
        `${what} has ${split.height}×${split.width}×${split.channels} images but the model takes ${h}×${w}×${c}: ` +
          'convert it with preprocessor.convertSplit(split) (resize and grey/RGB conversion) or pick a matching preset.',
      );
    }
  }

  /**
   * A copy of a data set resized and converted to the model's size and channels (uint8); a lazy
   * split stays lazy, each image converted as it is read.
   */
  convertSplit(split: ImageSplit): ImageSplit {
    const [h, w, c] = this.shape;
    if (split.height === h && split.width === w && split.channels === c) return split;
    const convert = (i: number): Float32Array | Uint8Array => {
      const raw: RawImage = {
        data: imageAt(split, i),
        width: split.width,
        height: split.height,
        channels: split.channels,
      };
      return resizeBilinear(toChannels(raw, c as 1 | 3), split.height, split.width, c, h, w);
    };
    const toBytes = (px: ArrayLike<number>, out: Uint8Array, at: number) => {
      for (let j = 0; j < px.length; j++) out[at + j] = Math.max(0, Math.min(255, Math.round(px[j])));
    };
    if (split.image) {
      const image = (i: number) => {
        const out = new Uint8Array(h * w * c);
        toBytes(convert(i), out, 0);
        return out;
      };
      return { ...split, images: new Uint8Array(0), image, height: h, width: w, channels: c };
    }
    const images = new Uint8Array(split.count * h * w * c);
    for (let i = 0; i < split.count; i++) toBytes(convert(i), images, i * h * w * c);
    return { ...split, images, height: h, width: w, channels: c };
  }

  /**
   * Normalised pixels of examples `indices` of a data set at model size, as a [n, H, W, C]
   * tensor; with `random` (a seeded uniform [0,1) source) the configured augmentation is applied.
   */
  batch(split: ImageSplit, indices: ArrayLike<number>, random?: () => number): tf.Tensor4D {
    this.checkSplit(split);
    const [h, w, c] = this.shape;
    const size = h * w * c;
    const out = new Float32Array(indices.length * size);
    const { augment } = this.config;
    const pad = random ? (augment.cropPadding ?? 0) : 0;
    const flip = random ? Boolean(augment.horizontalFlip) : false;
    const trivial = random && augment.trivialAugment ? new Float32Array(size) : undefined;
    const erase = random ? (augment.randomErasing ?? 0) : 0;
    for (let i = 0; i < indices.length; i++) {
      let src: ArrayLike<number> = imageAt(split, indices[i]);
      const dst = out.subarray(i * size, (i + 1) * size);
      if (trivial) {
        trivialAugment(src, trivial, h, w, c, random!);
        src = trivial;
      }
      const dy = pad ? Math.floor(random!() * (2 * pad + 1)) - pad : 0;
      const dx = pad ? Math.floor(random!() * (2 * pad + 1)) - pad : 0;
      const mirror = flip && random!() < 0.5;
      augmentInto(src, dst, h, w, c, dy, dx, mirror);
      this.normalise(dst);
      if (erase) randomErasing(dst, h, w, c, erase, random!);
    }
    return tf.tensor4d(out, [indices.length, h, w, c]);
  }
}

/**
 * Why an image of width × height says little to a model of side `side`: far smaller than the
 * model (enlarged from under half its side), or far from square (squeezed: aspect over 1.2).
 */
export function sizeWarning(width: number, height: number, side: number): string | undefined {
  if (width < side / 2 || height < side / 2)
    return `the image is ${width}×${height}, far smaller than the model's ${side}×${side}: it was enlarged, so the prediction says little`;
  if (Math.max(width, height) / Math.min(width, height) > 1.2)
    return `the image is ${width}×${height}, not square: it was squeezed to the model's ${side}×${side}, which distorts shapes`;
  return undefined;
}

/**
 * Why an image is too far from the model's input to be converted silently, or undefined: far
 * smaller or far from square (as sizeWarning), or colour for a grey model or grey for a colour one
 * (an alpha channel does not count). `--strict` refuses such an image with this text.
 */
export function imageMismatch(
  image: { width: number; height: number; channels: number },
  side: number,
  channels: number,
): string | undefined {
  const colour = (c: number) => (c >= 3 ? 'colour' : 'grey');
  const far = sizeWarning(image.width, image.height, side) !== undefined;
  if (!far && colour(image.channels) === colour(channels)) return undefined;
  return (
    `is ${image.width}×${image.height} with ${image.channels} channel(s) (${colour(image.channels)}), ` +
    `the model takes ${side}×${side} with ${channels} (${colour(channels)})`
  );
}

/**
 * dst(y, x) = src(y + dy, x' + dx) with x' = mirrored x when flipping; pixels shifted in from
 * outside are 0 (the zero padding of "random crop with padding").
 */
export function augmentInto(
  src: ArrayLike<number>,
  dst: Float32Array,
  h: number,
  w: number,
  c: number,
  dy: number,
  dx: number,
  mirror: boolean,
): void {
  for (let y = 0; y < h; y++) {
    const sy = y + dy;
    for (let x = 0; x < w; x++) {
      const sx = (mirror ? w - 1 - x : x) + dx;
      const o = (y * w + x) * c;
      if (sy < 0 || sy >= h || sx < 0 || sx >= w) {
        for (let k = 0; k < c; k++) dst[o + k] = 0;
      } else {
        const s = (sy * w + sx) * c;
        for (let k = 0; k < c; k++) dst[o + k] = src[s + k];
      }
    }
  }
}
