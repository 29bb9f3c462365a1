/** Images stored contiguously as uint8, NHWC, or read lazily one by one (`image`). */
export interface ImageSplit {
  kind: 'images';
  /** Every image, contiguous; empty when `image` reads them lazily (read pixels with imageAt). */
  images: Uint8Array;
  /**
   * Lazy images (a user's own image files): the pixels of example i, read and decoded when a batch
   * needs them, so memory holds one batch of images, not the data set.
   */
  image?: (i: number) => Uint8Array;
  labels: Uint8Array | Int32Array;
  /** CIFAR-100 only: the 20 coarse (superclass) labels beside the 100 fine ones in `labels`. */
  coarseLabels?: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  classNames?: readonly string[];
}

export interface TextSplit {
  kind: 'text';
  texts: string[];
  labels: Int32Array;
  classNames: readonly string[];
  /** Extra per-example integers when the layout has them (IMDB star rating, Blitzer rating). */
  ratings?: Int32Array;
  /** Domain of each example where the data set has several (Blitzer). */
  domains?: string[];
}

export interface PairSplit {
  kind: 'pairs';
  source: string[];
  target: string[];
  /** Third column (attribution) of the newer Anki files, when present. */
  attribution?: string[];
  /** Lines dropped while reading: empty on either side, or misaligned files. */
  skipped: { empty: number; misaligned: number };
}

export type Split = ImageSplit | TextSplit | PairSplit;
export type SplitName = 'train' | 'validation' | 'test';
