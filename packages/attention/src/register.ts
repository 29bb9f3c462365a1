import * as tf from '@tensorflow/tfjs-core';
import { Dropout } from './dropout';
import { KeyPaddingMask } from './key-padding-mask';
import { LayerNormalization } from './layer-normalization';
import { MultiHeadAttention } from './multi-head-attention';
import { PatchEmbedding } from './patch-embedding';
import { SequencePooling } from './sequence-pooling';
import { TokenAndPositionEmbedding } from './token-position-embedding';

/**
 * Every attnzoo layer's className is `attnzoo.<package folder>.<Class>` (e.g.
 * `attnzoo.attention.MultiHeadAttention`), so a saved model.json names the npm package a
 * loader must import to rebuild it (`@attnzoo/attention`). Dots keep tfjs's default layer
 * names valid tensor names.
 */
export const SERIALIZATION_PREFIX = 'attnzoo.attention.';

/** The npm package that registers a serialised attnzoo class name, or undefined for other classes. */
export function packageOfClassName(className: string): string | undefined {
  const m = /^attnzoo\.([a-z0-9-]+)\./.exec(className);
  return m ? `@attnzoo/${m[1]}` : undefined;
}

// attnzoo's Dropout keeps tfjs's className 'Dropout': registering it replaces tfjs's class, so
// saved models (whose configs are unchanged) load with the hash dropout.
for (const cls of [
  Dropout,
  LayerNormalization,
  MultiHeadAttention,
  TokenAndPositionEmbedding,
  KeyPaddingMask,
  PatchEmbedding,
  SequencePooling,
]) {
  tf.serialization.registerClass(cls);
}
