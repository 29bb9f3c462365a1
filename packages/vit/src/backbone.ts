import {
  LayerNormalization,
  PatchEmbedding,
  SequencePooling,
  type SymbolicOrTensor,
  TransformerEncoderBlock,
} from '@attnzoo/attention';
import { model as functionalModel, input, type LayersModel } from '@tensorflow/tfjs-layers';
import { sequenceLength, VIT_DEFAULTS, type ViTBackboneConfig, validateBackboneConfig } from './config';

/**
 * The Vision Transformer backbone: non-overlapping patches projected to `width`, a class
 * token (pooling 'class') or none (pooling 'mean'), learned position embeddings, `depth`
 * pre-norm encoder blocks with the chosen attention variant, a final LayerNorm and pooling
 * to one feature vector per image. A builder of registered layers: models built from it
 * serialise as plain functional models, so a preset's model.json rebuilds without this class.
 */
export class ViTBackbone {
  static readonly className = 'attnzoo.vit.ViTBackbone';
  readonly config: Required<ViTBackboneConfig>;
  private readonly embedding: PatchEmbedding;
  private readonly blocks: TransformerEncoderBlock[];
  private readonly norm;
  private readonly pool: SequencePooling;

  constructor(config: ViTBackboneConfig) {
    validateBackboneConfig(config);
    this.config = { ...VIT_DEFAULTS, seed: 0, ...config } as Required<ViTBackboneConfig>;
    const c = this.config;
    const seed = c.seed;
    this.embedding = new PatchEmbedding({
      patchSize: c.patchSize,
      width: c.width,
      classToken: c.pooling === 'class',
      positionEmbedding: true,
      name: 'vit_patches',
      seed,
    });
    this.blocks = Array.from(
      { length: c.depth },
      (_, i) =>
        new TransformerEncoderBlock({
          variant: c.variant,
          width: c.width,
          numHeads: c.numHeads,
          feedForwardWidth: c.feedForwardWidth,
          // Super's Wa is L×L: exactly the patches (+ class token).
          maxLength: this.sequenceLength,
          normFirst: true,
          dropout: c.dropout,
          attentionDropout: c.attentionDropout,
          activation: c.activation,
          name: `vit_block${i}`,
          seed: seed + 1000 * (i + 1),
        }),
    );
    this.norm = new LayerNormalization({ epsilon: 1e-6, name: 'vit_final_norm' });
    this.pool = new SequencePooling({ mode: c.pooling, name: 'vit_pool' });
  }

  get sequenceLength(): number {
    return sequenceLength(this.config);
  }

  /** Images [batch, H, W, C] → tokens [batch, L, width] (after the final norm). */
  tokens<T extends SymbolicOrTensor>(images: T): T {
    let x = this.embedding.apply(images) as T;
    for (const block of this.blocks) x = block.apply(x);
    return this.norm.apply(x) as T;
  }

  /** Images [batch, H, W, C] → pooled features [batch, width]. */
  apply<T extends SymbolicOrTensor>(images: T): T {
    return this.pool.apply(this.tokens(images)) as T;
  }

  /** A standalone model: images → pooled features. */
  toModel(name = 'vit_backbone'): LayersModel {
    const c = this.config;
    const images = input({ shape: [c.imageSize, c.imageSize, c.channels], name: 'images' });
    return functionalModel({ inputs: images, outputs: this.apply(images), name });
  }
}
