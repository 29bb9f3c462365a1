import * as tf from '@tensorflow/tfjs-core';
import { type LayerVariable, layers } from '@tensorflow/tfjs-layers';
import { initializerByName } from './initializer';

type LayerArgs = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;
type Shape = (number | null)[];

export interface PatchEmbeddingArgs extends LayerArgs {
  /** Square patch side in pixels; image height and width must be multiples of it. */
  patchSize: number;
  width: number;
  /** Prepend a learned class token (ViT) so the sequence is 1 + patches long. */
  classToken?: boolean;
  /** Add learned position embeddings. */
  positionEmbedding?: boolean;
  kernelInitializer?: string;
  seed?: number;
}

/**
 * Images [batch, H, W, C] → patch tokens [batch, N (+1), width]: non-overlapping patches,
 * flattened and projected linearly (a strided convolution written as reshape + matmul),
 * with an optional class token and learned position embeddings.
 */
export class PatchEmbedding extends layers.Layer {
  static readonly className = 'attnzoo.attention.PatchEmbedding';
  readonly patchSize: number;
  readonly width: number;
  readonly classToken: boolean;
  readonly positionEmbedding: boolean;
  readonly kernelInitializer: string;
  readonly seed: number | null;
  private kernel?: LayerVariable;
  private bias?: LayerVariable;
  private cls?: LayerVariable;
  private positions?: LayerVariable;

  constructor(args: PatchEmbeddingArgs) {
    super(args);
    this.patchSize = args.patchSize;
    this.width = args.width;
    this.classToken = args.classToken ?? true;
    this.positionEmbedding = args.positionEmbedding ?? true;
    this.kernelInitializer = args.kernelInitializer ?? 'glorotUniform';
    this.seed = args.seed ?? null;
  }

  /** Number of tokens produced for an image of the given size. */
  sequenceLength(height: number, width: number): number {
    return (height / this.patchSize) * (width / this.patchSize) + (this.classToken ? 1 : 0);
  }

  override build(inputShape: Shape): void {
    const [, h, w, c] = inputShape;
    if (h == null || w == null || c == null)
      throw new Error('PatchEmbedding needs a fixed image size [batch, H, W, C].');
    if (h % this.patchSize !== 0 || w % this.patchSize !== 0) {
      throw new Error(
        `Image ${h}×${w} is not divisible into ${this.patchSize}×${this.patchSize} patches: resize or pick another patchSize.`,
      );
    }
    const seed = this.seed ?? undefined;
    const next = (k: number) => (seed == null ? undefined : seed + k);
    this.kernel = this.addWeight(
      'patch_kernel',
      [this.patchSize * this.patchSize * c, this.width],
      'float32',
      initializerByName(this.kernelInitializer, next(0)),
    );
    this.bias = this.addWeight('patch_bias', [this.width], 'float32', initializerByName('zeros'));
    if (this.classToken)
      this.cls = this.addWeight('class_token', [1, 1, this.width], 'float32', initializerByName('zeros'));
    if (this.positionEmbedding) {
      this.positions = this.addWeight(
        'position_embeddings',
        [this.sequenceLength(h, w), this.width],
        'float32',
        initializerByName('truncatedNormal', next(1)),
      );
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const [b, h, w] = inputShape;
    return [b, h == null || w == null ? null : this.sequenceLength(h, w), this.width];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const images = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [b, h, w, c] = images.shape;
      const p = this.patchSize;
      const gh = h / p;
      const gw = w / p;
      const grid = tf.transpose(tf.reshape(images, [b, gh, p, gw, p, c]), [0, 1, 3, 2, 4, 5]);
      const patches = tf.reshape(grid, [b * gh * gw, p * p * c]) as tf.Tensor2D;
      const projected = tf.add(tf.matMul(patches, this.kernel!.read() as tf.Tensor2D), this.bias!.read());
      let tokens = tf.reshape(projected, [b, gh * gw, this.width]);
      // broadcastTo, not tile: tile's gradient in tfjs-core is one slice per repetition.
      if (this.cls) tokens = tf.concat([tf.broadcastTo(this.cls.read(), [b, 1, this.width]), tokens], 1);
      if (this.positions) tokens = tf.add(tokens, this.positions.read());
      return tokens;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      patchSize: this.patchSize,
      width: this.width,
      classToken: this.classToken,
      positionEmbedding: this.positionEmbedding,
      kernelInitializer: this.kernelInitializer,
      seed: this.seed,
    };
  }
}
