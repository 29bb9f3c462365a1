import { layers } from '@tensorflow/tfjs-layers';
import { Dropout } from './dropout';
import type { TransformerBlockConfig } from './encoder-block';
import { FeedForward } from './feed-forward';
import { LayerNormalization } from './layer-normalization';
import { MultiHeadAttention } from './multi-head-attention';
import type { SymbolicOrTensor } from './symbolic';

export interface TransformerDecoderBlockConfig extends TransformerBlockConfig {
  /** Super cross-attention: maximum source length (size of its Wa). Defaults to maxLength. */
  sourceMaxLength?: number;
}

/**
 * Decoder block: causal self-attention, cross-attention over the encoder output, feed-forward;
 * each sub-layer with residual, dropout and layer normalisation. Inputs: target [B, T, d],
 * encoder output [B, S, d], target padding mask [B, T], source padding mask [B, S].
 */
export class TransformerDecoderBlock {
  private readonly selfAttention: MultiHeadAttention;
  private readonly crossAttention: MultiHeadAttention;
  private readonly feedForward: FeedForward;
  private readonly drops;
  private readonly norms;
  private readonly adds;
  private readonly normFirst: boolean;

  constructor(readonly config: TransformerDecoderBlockConfig) {
    const { name, seed } = config;
    this.normFirst = config.normFirst ?? true;
    const common = {
      variant: config.variant,
      numHeads: config.numHeads,
      dropout: config.attentionDropout ?? 0,
      useBias: config.useBias ?? true,
      useKeyPaddingMask: true,
      seed,
    };
    this.selfAttention = new MultiHeadAttention({
      ...common,
      name: `${name}_self_attention`,
      causal: true,
      maxLength: config.maxLength,
    });
    this.crossAttention = new MultiHeadAttention({
      ...common,
      name: `${name}_cross_attention`,
      attentionType: 'cross',
      maxLength: config.sourceMaxLength ?? config.maxLength,
      seed: seed == null ? undefined : seed + 50,
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
    const rate = config.dropout ?? 0;
    this.drops = [1, 2].map((i) => new Dropout({ rate, name: `${name}_dropout${i}`, seed }));
    this.norms = [1, 2, 3].map((i) => new LayerNormalization({ epsilon, name: `${name}_norm${i}` }));
    this.adds = [1, 2, 3].map((i) => layers.add({ name: `${name}_residual${i}` }));
  }

  apply<T extends SymbolicOrTensor>(target: T, encoderOutput: T, targetMask: T, sourceMask: T): T {
    const sub = [
      (h: T) => this.drops[0].apply(this.selfAttention.apply([h, targetMask] as never) as T) as T,
      (h: T) =>
        this.drops[1].apply(this.crossAttention.apply([h, encoderOutput, sourceMask] as never) as T) as T,
      (h: T) => this.feedForward.apply(h),
    ];
    let x = target;
    sub.forEach((f, i) => {
      x = this.normFirst
        ? (this.adds[i].apply([x, f(this.norms[i].apply(x) as T)] as never) as T)
        : (this.norms[i].apply(this.adds[i].apply([x, f(x)] as never)) as T);
    });
    return x;
  }
}
