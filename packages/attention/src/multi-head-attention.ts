import * as tf from '@tensorflow/tfjs-core';
import { type LayerVariable, layers } from '@tensorflow/tfjs-layers';
import type { AttentionShape } from './cost';
import { initializerByName } from './initializer';
import { causalBias, checkKeyPaddingMask, lowerTriangle, paddingBias } from './masks';
import { attentionHeads, scaledDotProductAttention } from './scaled-dot-product';
import { type AttentionVariant, assertAttentionVariant, projectionsOf } from './variants';

type Shape = (number | null)[];
type LayerArgs = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;

export interface MultiHeadAttentionArgs extends LayerArgs {
  variant: AttentionVariant;
  numHeads: number;
  /**
   * Self-attention takes one input X (queries, keys and values all X). Cross-attention takes
   * [query, context] (keys and values from the context, e.g. the encoder output).
   */
  attentionType?: 'self' | 'cross';
  /** When true the last input is a [batch, S] key padding mask (1 = token, 0 = padding). */
  useKeyPaddingMask?: boolean;
  causal?: boolean;
  /** Super only: the fixed maximum key length; Wa is maxLength × maxLength. */
  maxLength?: number;
  dropout?: number;
  /** Biases on Wq, Wk, Wv, Wo (those the variant has). */
  useBias?: boolean;
  /** Super only: a bias per token position on the mixing product Wa V. Off by default. */
  mixingBias?: boolean;
  kernelInitializer?: string;
  biasInitializer?: string;
  /** Super only: initial Wa. 'identity' starts Super exactly equal to Efficient. */
  mixingInitializer?: string;
  /** Return [output, attentionWeights] instead of output alone. */
  returnAttentionWeights?: boolean;
  seed?: number;
}

/**
 * Multi-head attention with the variant as configuration. One layer serves all four
 * mechanisms; see docs/attention.md for the math. Output: concat(heads) Wo.
 */
export class MultiHeadAttention extends layers.Layer {
  static readonly className = 'attnzoo.attention.MultiHeadAttention';
  readonly variant: AttentionVariant;
  readonly numHeads: number;
  readonly attentionType: 'self' | 'cross';
  readonly useKeyPaddingMask: boolean;
  readonly causal: boolean;
  readonly maxLength: number | null;
  readonly dropoutRate: number;
  readonly useBias: boolean;
  readonly mixingBias: boolean;
  readonly kernelInitializer: string;
  readonly biasInitializer: string;
  readonly mixingInitializer: string;
  readonly returnAttentionWeights: boolean;
  readonly seed: number | null;

  private wq?: LayerVariable;
  private bq?: LayerVariable;
  private wk?: LayerVariable;
  private bk?: LayerVariable;
  private wv?: LayerVariable;
  private bv?: LayerVariable;
  private wo?: LayerVariable;
  private bo?: LayerVariable;
  private wa?: LayerVariable;
  private ba?: LayerVariable;
  private width = 0;
  private builtShape?: { query: Shape; context: Shape };
  private dropoutCalls = 0;

  constructor(args: MultiHeadAttentionArgs) {
    super(args);
    assertAttentionVariant(args.variant);
    if (!Number.isInteger(args.numHeads) || args.numHeads < 1) {
      throw new Error(`numHeads must be a positive integer, got ${args.numHeads}.`);
    }
    this.variant = args.variant;
    this.numHeads = args.numHeads;
    this.attentionType = args.attentionType ?? 'self';
    this.useKeyPaddingMask = args.useKeyPaddingMask ?? false;
    this.causal = args.causal ?? false;
    this.maxLength = args.maxLength ?? null;
    this.dropoutRate = args.dropout ?? 0;
    this.useBias = args.useBias ?? true;
    this.mixingBias = args.mixingBias ?? false;
    this.kernelInitializer = args.kernelInitializer ?? 'glorotUniform';
    this.biasInitializer = args.biasInitializer ?? 'zeros';
    this.mixingInitializer = args.mixingInitializer ?? 'identity';
    this.returnAttentionWeights = args.returnAttentionWeights ?? false;
    this.seed = args.seed ?? null;
    if (this.variant === 'super' && (!Number.isInteger(this.maxLength) || (this.maxLength ?? 0) < 1)) {
      throw new Error('Super attention needs maxLength (the fixed maximum key length, the size of Wa).');
    }
    if (this.attentionType !== 'self' && this.attentionType !== 'cross') {
      throw new Error(`attentionType must be 'self' or 'cross', got ${JSON.stringify(this.attentionType)}.`);
    }
    if (this.dropoutRate < 0 || this.dropoutRate >= 1)
      throw new Error(`dropout must be in [0, 1), got ${this.dropoutRate}.`);
  }

  /** Number of inputs call() expects, in order: query, [context], [keyPaddingMask]. */
  get inputCount(): number {
    return 1 + (this.attentionType === 'cross' ? 1 : 0) + (this.useKeyPaddingMask ? 1 : 0);
  }

  override build(inputShape: Shape | Shape[]): void {
    const shapes = this.splitShapes(inputShape);
    const d = shapes.query[shapes.query.length - 1];
    const contextWidth = shapes.context[shapes.context.length - 1];
    if (d == null) throw new Error('MultiHeadAttention needs a known model width (last input dimension).');
    if (d % this.numHeads !== 0) {
      throw new Error(
        `Model width ${d} is not divisible by numHeads ${this.numHeads}: choose a width that is a multiple of the head count.`,
      );
    }
    const p = projectionsOf(this.variant);
    if (!p.key && contextWidth !== d) {
      // Efficient and Super use K_i = context slices directly against Q Wq_i.
      throw new Error(
        `${this.variant} cross-attention slices the context into heads, so its width (${contextWidth}) must equal the query width (${d}); use sdpa, or project the context to ${d}.`,
      );
    }
    if (!p.value && contextWidth !== d) {
      throw new Error(
        `${this.variant} cross-attention uses the context slices as values, so its width (${contextWidth}) must equal the query width (${d}); use sdpa, or project the context to ${d}.`,
      );
    }
    this.width = d;
    this.builtShape = shapes;
    let seedOffset = 0;
    const seed = () => (this.seed == null ? undefined : this.seed + seedOffset++);
    const kernel = (name: string, inDim: number) =>
      this.addWeight(name, [inDim, d], 'float32', initializerByName(this.kernelInitializer, seed()));
    const bias = (name: string) =>
      this.useBias
        ? this.addWeight(name, [d], 'float32', initializerByName(this.biasInitializer))
        : undefined;
    this.wq = kernel('query_kernel', d);
    this.bq = bias('query_bias');
    if (p.key) {
      this.wk = kernel('key_kernel', contextWidth as number);
      this.bk = bias('key_bias');
    }
    if (p.value) {
      this.wv = kernel('value_kernel', contextWidth as number);
      this.bv = bias('value_bias');
    }
    this.wo = kernel('output_kernel', d);
    this.bo = bias('output_bias');
    if (p.mixing) {
      const n = this.maxLength as number;
      this.wa = this.addWeight(
        'mixing_kernel',
        [n, n],
        'float32',
        initializerByName(this.mixingInitializer, seed()),
      );
      if (this.mixingBias)
        this.ba = this.addWeight('mixing_bias', [n], 'float32', initializerByName('zeros'));
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const shapes = this.splitShapes(inputShape);
    const out = [...shapes.query];
    if (!this.returnAttentionWeights) return out;
    return [out, [shapes.query[0], this.numHeads, shapes.query[1], shapes.context[1]]];
  }

  override call(
    inputs: tf.Tensor | tf.Tensor[],
    kwargs: { training?: boolean } = {},
  ): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      if (list.length !== this.inputCount) {
        throw new Error(
          `MultiHeadAttention(${this.attentionType}${this.useKeyPaddingMask ? ', key padding mask' : ''}) expects ${this.inputCount} input(s): query${this.attentionType === 'cross' ? ', context' : ''}${this.useKeyPaddingMask ? ', keyPaddingMask' : ''}; got ${list.length}.`,
        );
      }
      const query = list[0] as tf.Tensor3D;
      const context = (this.attentionType === 'cross' ? list[1] : list[0]) as tf.Tensor3D;
      const maskInput = this.useKeyPaddingMask ? list[list.length - 1] : undefined;
      const { output, weights } = this.attend(query, context, maskInput, kwargs.training ?? false);
      return this.returnAttentionWeights ? [output, weights as tf.Tensor] : output;
    });
  }

  /** The forward pass on concrete tensors: query [B, L, d], context [B, S, dc]. */
  private attend(query: tf.Tensor3D, context: tf.Tensor3D, mask: tf.Tensor | undefined, training: boolean) {
    const [batch, L, d] = query.shape;
    const S = context.shape[1];
    if (d !== this.width)
      throw new Error(`Query width ${d} differs from the width ${this.width} this layer was built for.`);
    if (this.variant === 'super' && S > (this.maxLength as number)) {
      throw new Error(
        `Super attention was built for sequences of at most ${this.maxLength} tokens (its Wa is ${this.maxLength}×${this.maxLength}) but got ${S}: truncate inputs to ${this.maxLength} or rebuild with a larger maxLength.`,
      );
    }
    if (this.causal && this.attentionType === 'self' && L !== S)
      throw new Error('Causal self-attention needs L = S.');
    const keyMask = mask ? checkKeyPaddingMask(mask, batch, S) : undefined;

    const project = (x: tf.Tensor3D, w?: LayerVariable, b?: LayerVariable): tf.Tensor3D => {
      if (!w) return x;
      const [n, len, inDim] = x.shape;
      let y = tf.matMul(tf.reshape(x, [n * len, inDim]), w.read() as tf.Tensor2D);
      if (b) y = tf.add(y, b.read());
      return tf.reshape(y, [n, len, d]) as tf.Tensor3D;
    };
    const q = project(query, this.wq, this.bq);
    const k = project(context, this.wk, this.bk);
    let v = project(context, this.wv, this.bv);
    if (this.wa) v = this.mixTokens(v, S, keyMask);

    const [qh, kh, vh] = [this.splitHeads(q), this.splitHeads(k), this.splitHeads(v)];
    const dropout = {
      dropout: this.dropoutRate,
      training,
      seed: this.seed == null ? undefined : this.seed + this.dropoutCalls++,
    };
    let heads: { output: tf.Tensor4D; weights?: tf.Tensor4D };
    if (this.returnAttentionWeights) {
      let bias: tf.Tensor | undefined;
      if (keyMask) bias = paddingBias(keyMask);
      if (this.causal) bias = bias ? tf.add(bias, causalBias(L, S)) : causalBias(L, S);
      heads = scaledDotProductAttention(qh, kh, vh, { bias, ...dropout });
    } else {
      // No weights wanted: the fused kernel on webgpu (no L × S tensor), the unfused path elsewhere.
      heads = {
        output: attentionHeads(qh, kh, vh, { keyPaddingMask: keyMask, causal: this.causal, ...dropout }),
      };
    }
    const merged = tf.reshape(tf.transpose(heads.output, [0, 2, 1, 3]), [batch * L, d]);
    let out = tf.matMul(merged, this.wo!.read() as tf.Tensor2D);
    if (this.bo) out = tf.add(out, this.bo.read());
    return { output: tf.reshape(out, [batch, L, d]), weights: heads.weights };
  }

  /**
   * Super's U = Wa[:S, :S] V, one Wa for all heads (Wa V_i = (Wa V)_i, so it is applied once
   * before the head split). Causal: Wa ⊙ tril on every pass. Padded value rows are zeroed
   * first so that padding cannot leak into real positions through the mixing.
   */
  private mixTokens(v: tf.Tensor3D, S: number, keyMask?: tf.Tensor2D): tf.Tensor3D {
    const [batch, , d] = v.shape;
    let wa = this.wa!.read() as tf.Tensor2D;
    const n = this.maxLength as number;
    if (S < n) wa = tf.slice(wa, [0, 0], [S, S]);
    if (this.causal) wa = tf.mul(wa, lowerTriangle(S));
    let values: tf.Tensor = v;
    if (keyMask) values = tf.mul(values, tf.reshape(keyMask, [batch, S, 1]));
    // [S, S] × [S, batch·d]: one matmul for the whole batch.
    const flat = tf.reshape(tf.transpose(values, [1, 0, 2]), [S, batch * d]) as tf.Tensor2D;
    let mixed = tf.transpose(tf.reshape(tf.matMul(wa, flat), [S, batch, d]), [1, 0, 2]) as tf.Tensor3D;
    if (this.ba) {
      const b = S < n ? tf.slice(this.ba.read(), [0], [S]) : this.ba.read();
      mixed = tf.add(mixed, tf.reshape(b, [1, S, 1]));
    }
    return mixed;
  }

  /** The layer's shape for cost accounting; unknown lengths fall back to maxLength. */
  costShape(queryLength?: number, keyLength?: number): AttentionShape {
    if (!this.builtShape) throw new Error(`Layer ${this.name} is not built yet: call it on an input first.`);
    const { query, context } = this.builtShape;
    const L = queryLength ?? query[1] ?? this.maxLength;
    const S = keyLength ?? context[1] ?? (this.attentionType === 'self' ? L : this.maxLength);
    if (L == null || S == null)
      throw new Error(`Layer ${this.name} has no fixed length: pass queryLength and keyLength.`);
    return {
      variant: this.variant,
      width: this.width,
      queryLength: L,
      keyLength: S,
      maxLength: this.maxLength ?? undefined,
      contextWidth: context[2] ?? this.width,
      useBias: this.useBias,
      mixingBias: this.mixingBias,
    };
  }

  private splitHeads(x: tf.Tensor3D): tf.Tensor4D {
    const [batch, len, d] = x.shape;
    return tf.transpose(
      tf.reshape(x, [batch, len, this.numHeads, d / this.numHeads]),
      [0, 2, 1, 3],
    ) as tf.Tensor4D;
  }

  private splitShapes(inputShape: Shape | Shape[]): { query: Shape; context: Shape } {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    if (shapes.length !== this.inputCount) {
      throw new Error(
        `MultiHeadAttention(${this.attentionType}) expects ${this.inputCount} input(s), got ${shapes.length}.`,
      );
    }
    const query = shapes[0];
    const context = this.attentionType === 'cross' ? shapes[1] : shapes[0];
    if (query.length !== 3 || context.length !== 3) {
      throw new Error(
        `MultiHeadAttention inputs must be [batch, length, width]; got [${query}] and [${context}].`,
      );
    }
    return { query, context };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      variant: this.variant,
      numHeads: this.numHeads,
      attentionType: this.attentionType,
      useKeyPaddingMask: this.useKeyPaddingMask,
      causal: this.causal,
      maxLength: this.maxLength,
      dropout: this.dropoutRate,
      useBias: this.useBias,
      mixingBias: this.mixingBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
      mixingInitializer: this.mixingInitializer,
      returnAttentionWeights: this.returnAttentionWeights,
      seed: this.seed,
    };
  }
}
