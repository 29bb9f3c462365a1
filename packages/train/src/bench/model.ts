import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Multi-head self-attention over [batch, T, d] (no mask), written inline for the benchmark. */
class InlineSelfAttention extends tfl.layers.Layer {
  static readonly className = 'AttnzooTrainInlineSelfAttention';
  private readonly heads: number;
  private wq!: tfl.LayerVariable;
  private wk!: tfl.LayerVariable;
  private wv!: tfl.LayerVariable;
  private wo!: tfl.LayerVariable;

  constructor(args: { heads: number; name?: string }) {
    super({ name: args.name });
    this.heads = args.heads;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const d = shape[shape.length - 1] as number;
    if (d % this.heads !== 0) throw new Error(`model width ${d} is not divisible by ${this.heads} heads`);
    const init = tfl.initializers.glorotUniform({});
    this.wq = this.addWeight('wq', [d, d], 'float32', init);
    this.wk = this.addWeight('wk', [d, d], 'float32', init);
    this.wv = this.addWeight('wv', [d, d], 'float32', init);
    this.wo = this.addWeight('wo', [d, d], 'float32', init);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [b, t, d] = x.shape;
      const h = this.heads;
      const dh = d / h;
      const flat = tf.reshape(x, [b * t, d]);
      const split = (w: tfl.LayerVariable) =>
        tf.transpose(tf.reshape(tf.matMul(flat, w.read()), [b, t, h, dh]), [0, 2, 1, 3]);
      const q = split(this.wq);
      const k = split(this.wk);
      const v = split(this.wv);
      const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh));
      const ctx = tf.matMul(tf.softmax(scores), v);
      const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b * t, d]);
      return tf.reshape(tf.matMul(merged, this.wo.read()), [b, t, d]);
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads };
  }
}

/**
 * Token embedding as one-hot x table. tfjs 4.22's wasm backend has no UnsortedSegmentSum kernel, so
 * the gradient of tf.layers.embedding (a gather) fails there; a matmul's gradient runs everywhere.
 */
class OneHotEmbedding extends tfl.layers.Layer {
  static readonly className = 'AttnzooTrainOneHotEmbedding';
  private table!: tfl.LayerVariable;
  constructor(
    private readonly vocab: number,
    private readonly dim: number,
  ) {
    super({});
  }
  override build(): void {
    this.table = this.addWeight(
      'table',
      [this.vocab, this.dim],
      'float32',
      tfl.initializers.randomNormal({ stddev: 0.05 }),
    );
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const ids = tf.cast(Array.isArray(inputs) ? inputs[0] : inputs, 'int32');
      const [b, t] = ids.shape;
      const oneHot = tf.oneHot(tf.reshape(ids, [b * t]), this.vocab);
      return tf.reshape(tf.matMul(oneHot, this.table.read()), [b, t, this.dim]);
    });
  }
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    return [...s, this.dim];
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), vocab: this.vocab, dim: this.dim };
  }
}

export interface TransformerClassifierOptions {
  vocab: number;
  seqLen: number;
  dModel: number;
  heads: number;
  ffn: number;
  blocks: number;
  classes: number;
}

/**
 * A small post-norm Transformer encoder classifier (one-hot token embedding, `blocks` x [self-attention,
 * add & layer-norm, ReLU feed-forward, add & layer-norm], mean pooling, linear head giving logits).
 * No positional embedding: enough for measuring training speed.
 */
export function transformerClassifier(o: TransformerClassifierOptions): tfl.LayersModel {
  const input = tfl.input({ shape: [o.seqLen], dtype: 'int32', name: 'tokens' });
  let x = new OneHotEmbedding(o.vocab, o.dModel).apply(input) as tfl.SymbolicTensor;
  for (let i = 0; i < o.blocks; i++) {
    const a = new InlineSelfAttention({ heads: o.heads }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.layerNormalization().apply(tfl.layers.add().apply([x, a])) as tfl.SymbolicTensor;
    const f1 = tfl.layers.dense({ units: o.ffn, activation: 'relu' }).apply(x);
    const f2 = tfl.layers.dense({ units: o.dModel }).apply(f1) as tfl.SymbolicTensor;
    x = tfl.layers.layerNormalization().apply(tfl.layers.add().apply([x, f2])) as tfl.SymbolicTensor;
  }
  const pooled = tfl.layers.globalAveragePooling1d().apply(x);
  const logits = tfl.layers.dense({ units: o.classes }).apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits });
}
