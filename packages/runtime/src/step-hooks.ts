import type * as tf from '@tensorflow/tfjs-core';

/**
 * What code running inside a captured training step tells the capture: which tensors are the step's
 * inputs (new each step: the batch, the learning rate) and which uniform words hold a random seed.
 * Outside a capture these are no-ops. The slot is global (Symbol.for) because each package bundles
 * its own copy of @attnzoo/runtime.
 */
export interface StepHooks {
  input(key: string, tensor: tf.Tensor): void;
  draw(seed: number): void;
  seedUniform(buffer: GPUBuffer, byteOffset: number, seed: number): void;
}

const SLOT = Symbol.for('attnzoo.webgpu.stepHooks');
type Slot = { [SLOT]?: StepHooks };

export function activeStepHooks(): StepHooks | undefined {
  return (globalThis as Slot)[SLOT];
}

export function setActiveStepHooks(hooks: StepHooks | undefined): void {
  (globalThis as Slot)[SLOT] = hooks;
}

/**
 * Marks `tensor` as an input of the training step being captured, under `key`: a replay writes that
 * key's new value where the capture uploaded this tensor. Returns the tensor.
 */
export function noteStepInput<T extends tf.Tensor>(key: string, tensor: T): T {
  activeStepHooks()?.input(key, tensor);
  return tensor;
}

const TWO_32 = 4294967296;

/**
 * A u32 random seed from Math.random (which attnzoo's trainer points at its seeded RNG). A replayed
 * step draws its seeds with this same function, in the captured order, so that replayed and eager
 * steps consume the RNG alike.
 */
export function drawSeed(): number {
  const seed = Math.floor(Math.random() * TWO_32) >>> 0;
  activeStepHooks()?.draw(seed);
  return seed;
}
