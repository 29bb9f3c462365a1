import * as tf from '@tensorflow/tfjs-core';
import { type LayerVariable, layers } from '@tensorflow/tfjs-layers';
import { embeddingLookup } from './embedding-lookup';
import { initializerByName } from './initializer';

type LayerArgs = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;
type Shape = (number | null)[];

export interface TokenAndPositionEmbeddingArgs extends LayerArgs {
  vocabularySize: number;
  maxLength: number;
  width: number;
  initializer?: string;
  seed?: number;
}

/** Token ids [batch, L] → token embedding + learned position embedding [batch, L, width]. */
export class TokenAndPositionEmbedding extends layers.Layer {
  static readonly className = 'attnzoo.attention.TokenAndPositionEmbedding';
  readonly vocabularySize: number;
  readonly maxLength: number;
  readonly width: number;
  readonly initializer: string;
  readonly seed: number | null;
  private tokens?: LayerVariable;
  private positions?: LayerVariable;

  constructor(args: TokenAndPositionEmbeddingArgs) {
    super(args);
    this.vocabularySize = args.vocabularySize;
    this.maxLength = args.maxLength;
    this.width = args.width;
    this.initializer = args.initializer ?? 'truncatedNormal';
    this.seed = args.seed ?? null;
  }

  override build(): void {
    const seed = this.seed ?? undefined;
    this.tokens = this.addWeight(
      'token_embeddings',
      [this.vocabularySize, this.width],
      'float32',
      initializerByName(this.initializer, seed),
    );
    this.positions = this.addWeight(
      'position_embeddings',
      [this.maxLength, this.width],
      'float32',
      initializerByName(this.initializer, seed == null ? undefined : seed + 1),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return [inputShape[0], inputShape[1], this.width];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const ids = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      const length = ids.shape[1];
      if (length > this.maxLength) {
        throw new Error(
          `Input has ${length} tokens but the position embedding holds ${this.maxLength}: truncate to maxLength.`,
        );
      }
      const tokens = embeddingLookup(this.tokens!.read() as tf.Tensor2D, ids);
      const positions = tf.slice(this.positions!.read(), [0, 0], [length, this.width]);
      return tf.add(tokens, positions);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      vocabularySize: this.vocabularySize,
      maxLength: this.maxLength,
      width: this.width,
      initializer: this.initializer,
      seed: this.seed,
    };
  }
}
