import { noteStepInput } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay (AdamW, Loshchilov & Hutter): p -= lr * weightDecay * p. 0 gives Adam. */
  weightDecay?: number;
  /**
   * Which parameters decay. Default: tensors of rank >= 2 (kernels, embeddings), not biases or
   * normalisation scales.
   */
  decay?: (name: string, shape: number[]) => boolean;
}

/** Optimizer state as plain arrays, in the order of the parameters. */
export interface OptimizerState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

/** Options of one update. */
export interface ApplyOptions {
  /** Scale all gradients together so that their global L2 norm is at most this. */
  clipNorm?: number;
}

/**
 * Adam / AdamW written on tf ops, with its moments in its own variables so that its whole state can
 * be saved and restored bit for bit. Bias correction as in the Adam paper; the weight decay is applied
 * to the weights directly (decoupled) and is not scaled by the adaptive denominator.
 *
 * The update runs on all parameters at once, flattened into one vector (a "multi-tensor" update):
 * on WebGPU each op is a kernel dispatch costing tens of microseconds of JavaScript, and a per-tensor
 * update (about a dozen ops for each of ~100 weights) made the optimizer most of a training step.
 * Flat, it is one concatenation, a dozen ops and one slice per weight.
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  /** Number of updates applied so far. */
  step = 0;
  /** First and second moments of all parameters, concatenated in parameter order. */
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;
  private readonly sizes: number[];
  /** 1 where the element's parameter decays, 0 elsewhere, and its complement; undefined when nothing decays. */
  private readonly decayMask: { decays: tf.Tensor; keeps: tf.Tensor } | undefined;

  constructor(
    readonly params: tf.Variable[],
    opts: AdamWOptions = {},
  ) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    for (const [k, x] of [
      ['beta1', this.beta1],
      ['beta2', this.beta2],
    ] as const) {
      if (!(x >= 0 && x < 1)) throw new Error(`${k} must be in [0, 1), got ${x}`);
    }
    if (!(this.weightDecay >= 0)) throw new Error(`weightDecay must be >= 0, got ${this.weightDecay}`);
    if (params.length === 0) throw new Error('AdamW got no parameters to optimise');
    const decay = opts.decay ?? ((_n: string, shape: number[]) => shape.length >= 2);
    const decays = params.map((p) => decay(p.name, p.shape));
    this.sizes = params.map((p) => p.size);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    this.m = tf.tidy(() => tf.variable(tf.zeros([total]), false));
    this.v = tf.tidy(() => tf.variable(tf.zeros([total]), false));
    if (this.weightDecay > 0 && decays.some(Boolean)) {
      const mask = new Float32Array(total);
      let offset = 0;
      params.forEach((p, i) => {
        if (decays[i]) mask.fill(1, offset, offset + p.size);
        offset += p.size;
      });
      this.decayMask = { decays: tf.tensor1d(mask), keeps: tf.tensor1d(mask.map((x) => 1 - x)) };
    }
  }

  /**
   * The values of update `step` (1-based) that change from step to step, as step inputs: a
   * replayed step (@attnzoo/runtime's StepPlan) writes them where the captured update uploaded them.
   */
  stepInputs(lr: number, step = this.step + 1): Record<string, Float32Array> {
    const bc1 = 1 - this.beta1 ** step;
    const bc2 = 1 - this.beta2 ** step;
    return {
      'adamw.lrOverBc1': Float32Array.of(lr / bc1),
      'adamw.sqrtBc2': Float32Array.of(Math.sqrt(bc2)),
      'adamw.decay': Float32Array.of(1 - lr * this.weightDecay),
    };
  }

  /** Counts an update applied by a replayed step. */
  advance(): void {
    this.step += 1;
  }

  /** Applies one update with learning rate `lr`; `grads[i]` belongs to `params[i]`. */
  apply(grads: tf.Tensor[], lr: number, opts: ApplyOptions = {}): void {
    if (grads.length !== this.params.length) {
      throw new Error(`got ${grads.length} gradients for ${this.params.length} parameters`);
    }
    const { clipNorm } = opts;
    if (clipNorm !== undefined && !(clipNorm > 0)) throw new Error(`clipNorm must be > 0, got ${clipNorm}`);
    const inputs = this.stepInputs(lr);
    this.step += 1;
    tf.tidy(() => {
      const scalar = (key: string) => noteStepInput(key, tf.tensor(inputs[key], []) as tf.Scalar);
      let g = flatConcat(grads);
      if (clipNorm !== undefined) {
        const norm = tf.sqrt(tf.sum(tf.square(g)));
        g = tf.mul(g, tf.div(tf.scalar(clipNorm), tf.maximum(norm, tf.scalar(clipNorm))));
      }
      const m = tf.add(tf.mul(tf.scalar(this.beta1), this.m), tf.mul(tf.scalar(1 - this.beta1), g));
      const v = tf.add(
        tf.mul(tf.scalar(this.beta2), this.v),
        tf.mul(tf.scalar(1 - this.beta2), tf.square(g)),
      );
      this.m.assign(m);
      this.v.assign(v);
      const denom = tf.add(tf.div(tf.sqrt(v), scalar('adamw.sqrtBc2')), tf.scalar(this.epsilon));
      let p = flatConcat(this.params);
      if (this.decayMask) {
        // keeps + decays * (1 - lr * wd): exactly 1 or the same float32 factor as a per-tensor update
        const { decays, keeps } = this.decayMask;
        p = tf.mul(p, tf.add(keeps, tf.mul(decays, scalar('adamw.decay'))));
      }
      const next = tf.sub(p, tf.mul(scalar('adamw.lrOverBc1'), tf.div(m, denom)));
      const pieces = this.params.length === 1 ? [next] : tf.split(next, this.sizes);
      this.params.forEach((param, i) => {
        param.assign(tf.reshape(pieces[i], param.shape));
      });
    });
  }

  async getState(): Promise<OptimizerState> {
    const [m, v] = (await Promise.all([this.m.data(), this.v.data()])) as Float32Array[];
    return { step: this.step, m: this.splitFlat(m), v: this.splitFlat(v) };
  }

  setState(state: OptimizerState): void {
    if (state.m.length !== this.params.length || state.v.length !== this.params.length) {
      throw new Error(
        `optimizer state holds ${state.m.length} moment tensors but the model has ${this.params.length} trainable weights: the checkpoint is from another model`,
      );
    }
    for (let i = 0; i < this.params.length; i++) {
      const size = this.sizes[i];
      if (state.m[i].length !== size || state.v[i].length !== size) {
        throw new Error(
          `optimizer state for '${this.params[i].name}' has ${state.m[i].length} values, expected ${size}: the checkpoint is from another model`,
        );
      }
    }
    tf.tidy(() => {
      this.m.assign(tf.tensor1d(joinFlat(state.m)));
      this.v.assign(tf.tensor1d(joinFlat(state.v)));
    });
    this.step = state.step;
  }

  /** Cuts a flat vector into one copy per parameter (the checkpoint format keeps them apart). */
  private splitFlat(flat: Float32Array): Float32Array[] {
    let offset = 0;
    return this.sizes.map((size) => {
      const part = flat.slice(offset, offset + size);
      offset += size;
      return part;
    });
  }

  dispose(): void {
    this.m.dispose();
    this.v.dispose();
    if (this.decayMask) tf.dispose([this.decayMask.decays, this.decayMask.keeps]);
  }
}

/** All tensors as one 1-D tensor, in order. */
function flatConcat(xs: tf.Tensor[]): tf.Tensor1D {
  const flat = xs.map((x) => tf.reshape(x, [-1]) as tf.Tensor1D);
  return flat.length === 1 ? flat[0] : tf.concat1d(flat);
}

function joinFlat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
