import { MASKED_SCORE } from '@attnzoo/attention';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, layers } from '@tensorflow/tfjs-layers';
import { LAYER_NAMES, type TranslatorModels } from '../backbone';
import type { TranslatorConfig } from '../config';

/**
 * One decoding step at a time for N rows (sentences × beams). `step` takes the last token of
 * every row and returns the next-token logits [N, vocab]; `reorder` keeps the rows chosen by
 * beam search (indices into the current rows).
 */
export interface StepDecoder {
  readonly length: number;
  step(tokens: Int32Array): tf.Tensor2D;
  reorder(indices: Int32Array): void;
  dispose(): void;
}

/**
 * Which decoding path a variant uses by default. All four can use the K/V cache: SDPA,
 * Optimised and Efficient cache keys and values as usual; causal Super caches the raw values
 * and the mixed values U = tril(Wa) V. Because Wa is lower-triangular, appending a token adds
 * one new row of U (U_t = Σ_{i≤t} Wa[t,i] V_i) and never changes an earlier row, so the cache
 * stays exact. Cross-attention K/V (Super: Wa[:S,:S] V over the source) is computed once per
 * sentence. `full` recomputes the decoder over the whole prefix each step (still reusing the
 * encoder output); tests check both give the same tokens.
 */
export type DecodingCache = 'kv' | 'full';

type Layer = layers.Layer;

function weight(layer: Layer, name: string): tf.Tensor | undefined {
  const w = layer.weights.find((v: { originalName: string }) => v.originalName.endsWith(`/${name}`));
  return w?.read();
}

function requireLayer(model: LayersModel, name: string): Layer {
  try {
    return model.getLayer(name);
  } catch {
    throw new Error(`The translator model has no layer '${name}': it was not built by buildTranslator.`);
  }
}

interface AttentionWeights {
  wq: tf.Tensor2D;
  bq?: tf.Tensor;
  wk?: tf.Tensor2D;
  bk?: tf.Tensor;
  wv?: tf.Tensor2D;
  bv?: tf.Tensor;
  wo: tf.Tensor2D;
  bo?: tf.Tensor;
  wa?: tf.Tensor2D;
  ba?: tf.Tensor;
}

function attentionWeights(layer: Layer): AttentionWeights {
  return {
    wq: weight(layer, 'query_kernel') as tf.Tensor2D,
    bq: weight(layer, 'query_bias'),
    wk: weight(layer, 'key_kernel') as tf.Tensor2D | undefined,
    bk: weight(layer, 'key_bias'),
    wv: weight(layer, 'value_kernel') as tf.Tensor2D | undefined,
    bv: weight(layer, 'value_bias'),
    wo: weight(layer, 'output_kernel') as tf.Tensor2D,
    bo: weight(layer, 'output_bias'),
    wa: weight(layer, 'mixing_kernel') as tf.Tensor2D | undefined,
    ba: weight(layer, 'mixing_bias'),
  };
}

/** x [N, L, d] · w [d, d] + b, or x itself where the variant has no such projection. */
function project(x: tf.Tensor3D, w?: tf.Tensor2D, b?: tf.Tensor): tf.Tensor3D {
  if (!w) return x;
  const [n, len, d] = x.shape;
  let y = tf.matMul(tf.reshape(x, [n * len, d]), w);
  if (b) y = tf.add(y, b);
  return tf.reshape(y, [n, len, w.shape[1]]);
}

function splitHeads(x: tf.Tensor3D, heads: number): tf.Tensor4D {
  const [n, len, d] = x.shape;
  return tf.transpose(tf.reshape(x, [n, len, heads, d / heads]), [0, 2, 1, 3]);
}

/** softmax(q kᵀ/√dk + bias) v over heads, merged and projected by Wo: q [N, L, d] → [N, L, d]. */
function attend(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  w: AttentionWeights,
  heads: number,
  bias?: tf.Tensor,
) {
  const [n, len, d] = q.shape;
  const qh = splitHeads(q, heads);
  let scores = tf.mul(tf.matMul(qh, splitHeads(k, heads), false, true), 1 / Math.sqrt(d / heads));
  if (bias) scores = tf.add(scores, bias);
  const out = tf.matMul(tf.softmax(scores), splitHeads(v, heads));
  const merged = tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [n * len, d]);
  let y = tf.matMul(merged, w.wo);
  if (w.bo) y = tf.add(y, w.bo);
  return tf.reshape(y, [n, len, d]) as tf.Tensor3D;
}

interface BlockLayers {
  norms: Layer[];
  self: AttentionWeights;
  cross: AttentionWeights;
  inner: Layer;
  outer: Layer;
}

interface BlockCache {
  /** Self-attention keys [N, t, d]. */
  keys?: tf.Tensor3D;
  /** Self-attention values [N, t, d] (Super: the mixed values U). */
  values?: tf.Tensor3D;
  /** Super: the unmixed values [N, t, d], from which each new row of U is mixed. */
  raw?: tf.Tensor3D;
  crossKeys: tf.Tensor3D;
  crossValues: tf.Tensor3D;
}

function replace<T extends tf.Tensor>(old: T | undefined, next: T): T {
  old?.dispose();
  return tf.keep(next);
}

/** Step decoder with a key/value cache (see DecodingCache). */
export class CachedStepDecoder implements StepDecoder {
  length = 0;
  private readonly blocks: BlockLayers[];
  private readonly caches: BlockCache[];
  private readonly tokenTable: tf.Tensor2D;
  private readonly positionTable: tf.Tensor2D;
  private readonly finalNorm: Layer;
  private readonly logits: Layer;
  private sourceBias: tf.Tensor4D;

  constructor(
    models: TranslatorModels,
    private readonly config: TranslatorConfig,
    encoderOutput: tf.Tensor3D,
    sourceMask: tf.Tensor2D,
  ) {
    const m = models.model;
    const embedding = requireLayer(m, LAYER_NAMES.embedding);
    this.tokenTable = weight(embedding, 'token_embeddings') as tf.Tensor2D;
    this.positionTable = weight(embedding, 'position_embeddings') as tf.Tensor2D;
    this.finalNorm = requireLayer(m, LAYER_NAMES.decoderNorm);
    this.logits = requireLayer(m, LAYER_NAMES.logits);
    this.blocks = Array.from({ length: config.decoderLayers }, (_, i) => {
      const name = LAYER_NAMES.decoderBlock(i);
      return {
        norms: [1, 2, 3].map((k) => requireLayer(m, `${name}_norm${k}`)),
        self: attentionWeights(requireLayer(m, `${name}_self_attention`)),
        cross: attentionWeights(requireLayer(m, `${name}_cross_attention`)),
        inner: requireLayer(m, `${name}_ffn_inner`),
        outer: requireLayer(m, `${name}_ffn_outer`),
      };
    });
    const [n, S] = sourceMask.shape;
    this.sourceBias = tf.keep(
      tf.tidy(() => tf.reshape(tf.mul(tf.sub(1, sourceMask), MASKED_SCORE), [n, 1, 1, S]) as tf.Tensor4D),
    );
    this.caches = this.blocks.map((b) => {
      const [crossKeys, crossValues] = tf.tidy(() => {
        const crossKeys = project(encoderOutput, b.cross.wk, b.cross.bk);
        let crossValues = project(encoderOutput, b.cross.wv, b.cross.bv);
        if (b.cross.wa) {
          // Super cross-attention: U = Wa[:S, :S] (V ⊙ mask) (+ bias), not causal; fixed per sentence.
          const d = crossValues.shape[2];
          const masked = tf.mul(crossValues, tf.reshape(sourceMask, [n, S, 1]));
          const wa = tf.slice(b.cross.wa, [0, 0], [S, S]);
          const flat = tf.reshape(tf.transpose(masked, [1, 0, 2]), [S, n * d]);
          crossValues = tf.transpose(tf.reshape(tf.matMul(wa, flat), [S, n, d]), [1, 0, 2]);
          if (b.cross.ba)
            crossValues = tf.add(crossValues, tf.reshape(tf.slice(b.cross.ba, [0], [S]), [1, S, 1]));
        }
        // Clones: for Efficient/Super the projections are the encoder output itself, owned by the caller.
        return [tf.clone(crossKeys), tf.clone(crossValues)] as tf.Tensor3D[];
      });
      return { crossKeys, crossValues };
    });
  }

  step(tokens: Int32Array): tf.Tensor2D {
    const t = this.length;
    if (t >= this.config.targetMaxLength) {
      throw new Error(`Decoder has ${this.config.targetMaxLength} positions; cannot decode position ${t}.`);
    }
    const heads = this.config.numHeads;
    const out = tf.tidy(() => {
      const n = tokens.length;
      const ids = tf.tensor1d(tokens, 'int32');
      let x = tf.add(tf.gather(this.tokenTable, ids), tf.slice(this.positionTable, [t, 0], [1, -1]));
      x = tf.reshape(x, [n, 1, this.config.width]) as tf.Tensor3D;
      this.blocks.forEach((b, i) => {
        const cache = this.caches[i];
        // Self-attention over the cached prefix plus this position (causal by construction).
        const h = b.norms[0].apply(x) as tf.Tensor3D;
        const q = project(h, b.self.wq, b.self.bq);
        const k = project(h, b.self.wk, b.self.bk);
        let v = project(h, b.self.wv, b.self.bv);
        const keys = cache.keys ? tf.concat([cache.keys, k], 1) : tf.clone(k);
        if (b.self.wa) {
          const raw = cache.raw ? tf.concat([cache.raw, v], 1) : tf.clone(v);
          // U_t = Σ_{i≤t} Wa[t, i] V_i: one new row; the rows before it are unchanged.
          const row = tf.slice(b.self.wa, [t, 0], [1, t + 1]);
          v = tf.reshape(tf.matMul(tf.reshape(row, [1, 1, t + 1]), raw), [
            n,
            1,
            this.config.width,
          ]) as tf.Tensor3D;
          if (b.self.ba) v = tf.add(v, tf.slice(b.self.ba, [t], [1]));
          cache.raw = replace(cache.raw, raw);
        }
        const values = cache.values ? tf.concat([cache.values, v], 1) : tf.clone(v);
        cache.keys = replace(cache.keys, keys);
        cache.values = replace(cache.values, values);
        x = tf.add(x, attend(q, keys, values, b.self, heads));
        // Cross-attention over the cached encoder keys/values.
        const h2 = b.norms[1].apply(x) as tf.Tensor3D;
        x = tf.add(
          x,
          attend(
            project(h2, b.cross.wq, b.cross.bq),
            cache.crossKeys,
            cache.crossValues,
            b.cross,
            heads,
            this.sourceBias,
          ),
        );
        const h3 = b.norms[2].apply(x) as tf.Tensor3D;
        x = tf.add(x, b.outer.apply(b.inner.apply(h3)) as tf.Tensor3D);
      });
      const y = this.logits.apply(this.finalNorm.apply(x)) as tf.Tensor3D;
      return tf.reshape(y, [n, this.config.vocabularySize]) as tf.Tensor2D;
    });
    this.length += 1;
    return out;
  }

  reorder(indices: Int32Array): void {
    const idx = tf.tensor1d(indices, 'int32');
    const g = <T extends tf.Tensor>(x: T | undefined): T | undefined =>
      x ? replace(x, tf.gather(x, idx) as T) : x;
    for (const c of this.caches) {
      c.keys = g(c.keys);
      c.values = g(c.values);
      c.raw = g(c.raw);
      c.crossKeys = g(c.crossKeys) as tf.Tensor3D;
      c.crossValues = g(c.crossValues) as tf.Tensor3D;
    }
    this.sourceBias = g(this.sourceBias) as tf.Tensor4D;
    idx.dispose();
  }

  dispose(): void {
    for (const c of this.caches)
      tf.dispose([c.keys, c.values, c.raw, c.crossKeys, c.crossValues].filter((x) => x) as tf.Tensor[]);
    this.sourceBias.dispose();
  }
}

/** Step decoder that reruns the decoder model over the whole prefix (reusing the encoder output). */
export class FullStepDecoder implements StepDecoder {
  length = 0;
  private prefix: tf.Tensor2D | undefined;
  private encoderOutput: tf.Tensor3D;
  private source: tf.Tensor2D;

  constructor(
    private readonly models: TranslatorModels,
    private readonly config: TranslatorConfig,
    encoderOutput: tf.Tensor3D,
    source: tf.Tensor2D,
  ) {
    this.encoderOutput = tf.keep(encoderOutput.clone());
    this.source = tf.keep(source.clone());
  }

  step(tokens: Int32Array): tf.Tensor2D {
    if (this.length >= this.config.targetMaxLength) {
      throw new Error(
        `Decoder has ${this.config.targetMaxLength} positions; cannot decode position ${this.length}.`,
      );
    }
    const next = tf.tidy(() => {
      const col = tf.tensor2d(tokens, [tokens.length, 1], 'int32');
      return this.prefix ? tf.concat([this.prefix, col], 1) : col;
    });
    this.prefix = replace(this.prefix, next);
    this.length += 1;
    return tf.tidy(() => {
      const logits = this.models.decoder.apply([this.encoderOutput, this.source, next], {
        training: false,
      }) as tf.Tensor3D;
      const [n, T, V] = logits.shape;
      return tf.reshape(tf.slice(logits, [0, T - 1, 0], [n, 1, V]), [n, V]) as tf.Tensor2D;
    });
  }

  reorder(indices: Int32Array): void {
    const idx = tf.tensor1d(indices, 'int32');
    if (this.prefix) this.prefix = replace(this.prefix, tf.gather(this.prefix, idx));
    this.encoderOutput = replace(this.encoderOutput, tf.gather(this.encoderOutput, idx));
    this.source = replace(this.source, tf.gather(this.source, idx));
    idx.dispose();
  }

  dispose(): void {
    tf.dispose([this.prefix, this.encoderOutput, this.source].filter((x) => x) as tf.Tensor[]);
  }
}
