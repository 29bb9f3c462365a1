import { layers } from '@tensorflow/tfjs-layers';
import { Dropout } from './dropout';
import { FeedForward } from './feed-forward';
import { LayerNormalization } from './layer-normalization';
import { MultiHeadAttention } from './multi-head-attention';
import type { SymbolicOrTensor } from './symbolic';
import type { AttentionVariant } from './variants';

export interface TransformerBlockConfig {
  variant: AttentionVariant;
  width: number;
  numHeads: number;
  feedForwardWidth: number;
  activation?: 'gelu' | 'relu';
  /** Dropout after attention and feed-forward (residual branches). */
  dropout?: number;
  /** Dropout on the attention weights. */
  attentionDropout?: number;
  /** Pre-norm (LayerNorm before each sub-layer, as in ViT) or post-norm (original Transformer). */
  normFirst?: boolean;
  /** Super: fixed maximum sequence length (size of Wa). */
  maxLength?: number;
  useBias?: boolean;
  layerNormEpsilon?: number;
  /** Layer name prefix; must be unique in a model. */
  name: string;
  seed?: number;
}

/**
 * Encoder block: self-attention + feed-forward, each with a residual connection, dropout
 * and layer normalisation (pre- or post-norm). A builder of standard and attnzoo layers, so
 * a model built from it serialises as a plain functional model.
 */
export class TransformerEncoderBlock {
  private readonly attention: MultiHeadAttention;
  private readonly feedForward: FeedForward;
  private readonly attentionDrop;
  private readonly norm1;
  private readonly norm2;
  private readonly add1;
  private readonly add2;
  private readonly normFirst: boolean;

  constructor(readonly config: TransformerBlockConfig & { causal?: boolean; useKeyPaddingMask?: boolean }) {
    const { name, seed } = config;
    this.normFirst = config.normFirst ?? true;
    this.attention = new MultiHeadAttention({
      name: `${name}_attention`,
      variant: config.variant,
      numHeads: config.numHeads,
      causal: config.causal ?? false,
      useKeyPaddingMask: config.useKeyPaddingMask ?? false,
      maxLength: config.maxLength,
      dropout: config.attentionDropout ?? 0,
      useBias: config.useBias ?? true,
      seed,
    });
    this.feedForward = new FeedForward({
      width: config.width,
      hiddenWidth: config.feedForwardWidth,
      activation: config.activation,
      dropout: config.dropout,
      name: `${name}_ffn`,
      seed: seed == null ? undefined : seed + 100,
    });
    const epsilon = config.layerNormEpsilon ?? 1e-6;
    this.attentionDrop = new Dropout({
      rate: config.dropout ?? 0,
      name: `${name}_attention_dropout`,
      seed,
    });
    this.norm1 = new LayerNormalization({ epsilon, name: `${name}_norm1` });
    this.norm2 = new LayerNormalization({ epsilon, name: `${name}_norm2` });
    this.add1 = layers.add({ name: `${name}_residual1` });
    this.add2 = layers.add({ name: `${name}_residual2` });
  }

  /** x [batch, L, width]; keyPaddingMask [batch, L] when the block was built with useKeyPaddingMask. */
  apply<T extends SymbolicOrTensor>(x: T, keyPaddingMask?: T): T {
    if ((keyPaddingMask != null) !== (this.config.useKeyPaddingMask ?? false)) {
      throw new Error(
        `Encoder block ${this.config.name} was built with useKeyPaddingMask=${this.config.useKeyPaddingMask ?? false}: pass the mask exactly when it is on.`,
      );
    }
    const attend = (h: T) => {
      const inputs = keyPaddingMask ? [h, keyPaddingMask] : h;
      return this.attentionDrop.apply(this.attention.apply(inputs as never) as T) as T;
    };
    const ffn = (h: T) => this.feedForward.apply(h);
    if (this.normFirst) {
      const y = this.add1.apply([x, attend(this.norm1.apply(x) as T)] as never) as T;
      return this.add2.apply([y, ffn(this.norm2.apply(y) as T)] as never) as T;
    }
    const y = this.norm1.apply(this.add1.apply([x, attend(x)] as never)) as T;
    return this.norm2.apply(this.add2.apply([y, ffn(y)] as never)) as T;
  }
}
