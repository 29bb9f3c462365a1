import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';

type LayerArgs = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;
type Shape = (number | null)[];

export interface SequencePoolingArgs extends LayerArgs {
  /** 'class': the first token (a class token); 'mean': the mean over tokens (masked when a mask is given). */
  mode: 'class' | 'mean';
  /** When true the second input is a [batch, L] mask and the mean skips padding. */
  useMask?: boolean;
}

/** [batch, L, d] → [batch, d] by class token or (masked) mean. */
export class SequencePooling extends layers.Layer {
  static readonly className = 'attnzoo.attention.SequencePooling';
  readonly mode: 'class' | 'mean';
  readonly useMask: boolean;

  constructor(args: SequencePoolingArgs) {
    super(args);
    if (args.mode !== 'class' && args.mode !== 'mean') {
      throw new Error(`SequencePooling mode must be 'class' or 'mean', got ${JSON.stringify(args.mode)}.`);
    }
    this.mode = args.mode;
    this.useMask = args.useMask ?? false;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const x = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [x[0], x[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const x = list[0] as tf.Tensor3D;
      const [batch, length, width] = x.shape;
      if (this.mode === 'class') return tf.reshape(tf.slice(x, [0, 0, 0], [batch, 1, width]), [batch, width]);
      if (!this.useMask) return tf.mean(x, 1);
      const mask = tf.reshape(tf.cast(list[1], 'float32'), [batch, length, 1]);
      const count = tf.maximum(tf.sum(mask, 1), 1);
      return tf.div(tf.sum(tf.mul(x, mask), 1), count);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode, useMask: this.useMask };
  }
}
