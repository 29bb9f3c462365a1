import type * as tf from '@tensorflow/tfjs-core';
import type { SymbolicTensor } from '@tensorflow/tfjs-layers';

/** Blocks work on symbolic tensors (building a functional model) and on concrete tensors alike. */
export type SymbolicOrTensor = SymbolicTensor | tf.Tensor;
