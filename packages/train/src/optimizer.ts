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

/**
 * Adam / AdamW written on tf ops, with its moments in its own variables so that its whole state can
 * be saved and restored bit for bit. Bias correction as in the Adam paper; the weight decay is applied
 * to the weights directly (decoupled) and is not scaled by the adaptive denominator.
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  /** Number of updates applied so far. */
  step = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private readonly decays: boolean[];

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
    const decay = opts.decay ?? ((_n: string, shape: number[]) => shape.length >= 2);
    this.decays = params.map((p) => decay(p.name, p.shape));
    const zeros = (p: tf.Variable) => tf.tidy(() => tf.variable(tf.zerosLike(p), false));
    this.m = params.map(zeros);
    this.v = params.map(zeros);
  }

  /** Applies one update with learning rate `lr`; `grads[i]` belongs to `params[i]`. */
  apply(grads: tf.Tensor[], lr: number): void {
    if (grads.length !== this.params.length) {
      throw new Error(`got ${grads.length} gradients for ${this.params.length} parameters`);
    }
    this.step += 1;
    const t = this.step;
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    tf.tidy(() => {
      const b1 = tf.scalar(this.beta1);
      const b2 = tf.scalar(this.beta2);
      const oneMinusB1 = tf.scalar(1 - this.beta1);
      const oneMinusB2 = tf.scalar(1 - this.beta2);
      const stepSize = tf.scalar(lr / bc1);
      const sqrtBc2 = tf.scalar(Math.sqrt(bc2));
      const eps = tf.scalar(this.epsilon);
      const decayFactor = tf.scalar(1 - lr * this.weightDecay);
      for (let i = 0; i < this.params.length; i++) {
        const g = grads[i];
        const p = this.params[i];
        const m = tf.add(tf.mul(b1, this.m[i]), tf.mul(oneMinusB1, g));
        const v = tf.add(tf.mul(b2, this.v[i]), tf.mul(oneMinusB2, tf.square(g)));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtBc2), eps);
        const base = this.decays[i] && this.weightDecay > 0 ? tf.mul(p, decayFactor) : p;
        p.assign(tf.sub(base, tf.mul(stepSize, tf.div(m, denom))));
      }
    });
  }

  async getState(): Promise<OptimizerState> {
    const m = await Promise.all(this.m.map((x) => x.data() as Promise<Float32Array>));
    const v = await Promise.all(this.v.map((x) => x.data() as Promise<Float32Array>));
    return { step: this.step, m: m.map((a) => a.slice()), v: v.map((a) => a.slice()) };
  }

  setState(state: OptimizerState): void {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) {
      throw new Error(
        `optimizer state holds ${state.m.length} moment tensors but the model has ${this.m.length} trainable weights: the checkpoint is from another model`,
      );
    }
    for (let i = 0; i < this.m.length; i++) {
      const size = this.m[i].size;
      if (state.m[i].length !== size || state.v[i].length !== size) {
        throw new Error(
          `optimizer state for '${this.params[i].name}' has ${state.m[i].length} values, expected ${size}: the checkpoint is from another model`,
        );
      }
      tf.tidy(() => {
        this.m[i].assign(tf.tensor(state.m[i], this.m[i].shape, 'float32'));
        this.v[i].assign(tf.tensor(state.v[i], this.v[i].shape, 'float32'));
      });
    }
    this.step = state.step;
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}
