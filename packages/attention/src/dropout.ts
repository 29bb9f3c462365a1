import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers registers its Dropout class on evaluation, before the subclass below reads it.
import '@tensorflow/tfjs-layers';
import type { layers } from '@tensorflow/tfjs-layers';
import { drawDropoutSeed, fusedDropoutEnabled, hashDropout } from './fused/dropout';

type TfDropout = ReturnType<typeof layers.dropout>;
export type DropoutArgs = Parameters<typeof layers.dropout>[0];
type Kwargs = Parameters<TfDropout['call']>[1];

/** Marks attnzoo's class, so that a second evaluation of this module subclasses tfjs's class again. */
const HASH_DROPOUT = Symbol.for('attnzoo.attention.hashDropout');

type TfDropoutClass = (new (
  args: DropoutArgs,
) => TfDropout) &
  Pick<tf.serialization.SerializableConstructor<tf.serialization.Serializable>, 'className' | 'fromConfig'>;

/**
 * tfjs-layers' Dropout class, as registered for serialization by tfjs-layers (it does not export
 * the class itself), skipping attnzoo's own registration of a previous evaluation.
 */
function tfjsDropoutClass(): TfDropoutClass {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap.Dropout;
  if (!entry) throw new Error('tfjs-layers did not register its Dropout class.');
  let cls = entry[0] as unknown as { [HASH_DROPOUT]?: boolean };
  while (cls[HASH_DROPOUT]) cls = Object.getPrototypeOf(cls);
  return cls as unknown as TfDropoutClass;
}

/**
 * tfjs-layers' Dropout whose training mask comes from attnzoo's hash dropout: on webgpu one
 * dispatch forward and one backward, instead of a mask drawn in JavaScript and uploaded each step.
 * The seed of each call is drawn from Math.random (which attnzoo's trainer seeds), so masks change
 * every step; a configured `seed` only feeds tfjs's dropout when the hash dropout is switched off
 * (with it, tfjs repeats one mask every call). Its className stays 'Dropout' and its config
 * tfjs's, and it replaces tfjs's class in the serialization registry: saved models are unchanged
 * and load with either class.
 */
export class Dropout extends tfjsDropoutClass() {
  static override readonly className = 'Dropout';
  static readonly [HASH_DROPOUT] = true;
  private readonly dropRate: number;
  private readonly elementwise: boolean;

  constructor(args: DropoutArgs) {
    super(args);
    this.dropRate = Math.max(Math.min(args.rate, 1), 0);
    this.elementwise = args.noiseShape == null;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    if (!fusedDropoutEnabled() || !this.elementwise) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      // As tfjs: identity for rates outside (0, 1) and outside training.
      if (!(this.dropRate > 0 && this.dropRate < 1)) return inputs;
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (kwargs.training !== true) return x;
      return hashDropout(x, this.dropRate, drawDropoutSeed());
    });
  }
}
