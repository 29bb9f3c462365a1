import { type AttentionVariant, assertAttentionVariant } from '@attnzoo/attention';

/** Everything that defines a ViT backbone's shape; saved in a preset's config.json. */
export interface ViTBackboneConfig {
  /** Input image size the backbone was built for. */
  imageSize: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  patchSize: number;
  width: number;
  depth: number;
  numHeads: number;
  /** Hidden width of each feed-forward network. */
  feedForwardWidth: number;
  variant: AttentionVariant;
  /** 'class': a learned class token is prepended and read out; 'mean': mean over patch tokens. */
  pooling: 'class' | 'mean';
  dropout?: number;
  attentionDropout?: number;
  activation?: 'gelu' | 'relu';
  seed?: number;
}

export const VIT_DEFAULTS = {
  dropout: 0,
  attentionDropout: 0,
  activation: 'gelu',
} as const satisfies Partial<ViTBackboneConfig>;

/** Patches plus the class token: the sequence length the encoder sees (and Super's `maxLength`). */
export function sequenceLength(c: Pick<ViTBackboneConfig, 'imageSize' | 'patchSize' | 'pooling'>): number {
  const side = c.imageSize / c.patchSize;
  return side * side + (c.pooling === 'class' ? 1 : 0);
}

function positiveInteger(value: unknown, name: string): void {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new Error(`ViT config: ${name} must be a positive integer, got ${JSON.stringify(value)}.`);
  }
}

/** Checks a backbone config and says what to change when it cannot work. */
export function validateBackboneConfig(c: ViTBackboneConfig): ViTBackboneConfig {
  for (const key of [
    'imageSize',
    'channels',
    'patchSize',
    'width',
    'depth',
    'numHeads',
    'feedForwardWidth',
  ] as const)
    positiveInteger(c[key], key);
  assertAttentionVariant(c.variant);
  if (c.channels !== 1 && c.channels !== 3) {
    throw new Error(`ViT config: channels must be 1 (grey) or 3 (RGB), got ${c.channels}.`);
  }
  if (c.imageSize % c.patchSize !== 0) {
    throw new Error(
      `ViT config: imageSize ${c.imageSize} is not a multiple of patchSize ${c.patchSize}; pick a patch size that divides it.`,
    );
  }
  if (c.width % c.numHeads !== 0) {
    throw new Error(`ViT config: width ${c.width} is not divisible by numHeads ${c.numHeads}.`);
  }
  if (c.pooling !== 'class' && c.pooling !== 'mean') {
    throw new Error(`ViT config: pooling must be 'class' or 'mean', got ${JSON.stringify(c.pooling)}.`);
  }
  return c;
}
