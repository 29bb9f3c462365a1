import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';

type LayerArgs = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;
type Shape = (number | null)[];

export interface KeyPaddingMaskArgs extends LayerArgs {
  padId: number;
}

/** Token ids [batch, L] → float mask [batch, L], 1 for tokens and 0 where id = padId. */
export class KeyPaddingMask extends layers.Layer {
  static readonly className = 'attnzoo.attention.KeyPaddingMask';
  readonly padId: number;

  constructor(args: KeyPaddingMaskArgs) {
    super(args);
    this.padId = args.padId;
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() =>
      tf.cast(
        tf.notEqual(tf.cast(Array.isArray(inputs) ? inputs[0] : inputs, 'int32'), this.padId),
        'float32',
      ),
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padId: this.padId };
  }
}
