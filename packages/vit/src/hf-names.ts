/**
 * Hugging Face names and layouts for SDPA ViT weights: the state dict of transformers'
 * `ViTForImageClassification` (`vit.encoder.layer.N.attention.attention.query.weight`, ...), so
 * `attnzoo export --names hf` writes a folder that class can load, and `attnzoo import` reads one
 * back. The architectures agree for SDPA with a class token: pre-norm blocks, exact GELU (or ReLU),
 * LayerNorm ε 1e-6, the classifier on the class token after the final norm. Layouts differ:
 * PyTorch's Linear weights are [out, in] (tfjs: [in, out]), the patch projection is a Conv2d
 * [width, channels, p, p] (tfjs: a dense over patches flattened row, column, channel), and the
 * position embeddings carry a batch axis.
 */
import {
  type NamedValues,
  PresetError,
  permuteValues,
  registerWeightNaming,
  transposed,
  type WeightNaming,
} from '@attnzoo/hub';
import { ImageClassifier, type ImageClassifierConfig } from './classifier';

export const HF_NAMES = 'hf';

type Layout = 'same' | 'transpose' | 'patch' | 'positions';

/** tfjs weight (per block: `{i}`) ⇄ Hugging Face parameter, and how the values are laid out. */
const RULES: [tfjs: string, hf: string, layout: Layout][] = [
  ['vit_patches/patch_kernel', 'vit.embeddings.patch_embeddings.projection.weight', 'patch'],
  ['vit_patches/patch_bias', 'vit.embeddings.patch_embeddings.projection.bias', 'same'],
  ['vit_patches/class_token', 'vit.embeddings.cls_token', 'same'],
  ['vit_patches/position_embeddings', 'vit.embeddings.position_embeddings', 'positions'],
  ['vit_block{i}_norm1/gamma', 'vit.encoder.layer.{i}.layernorm_before.weight', 'same'],
  ['vit_block{i}_norm1/beta', 'vit.encoder.layer.{i}.layernorm_before.bias', 'same'],
  [
    'vit_block{i}_attention/query_kernel',
    'vit.encoder.layer.{i}.attention.attention.query.weight',
    'transpose',
  ],
  ['vit_block{i}_attention/query_bias', 'vit.encoder.layer.{i}.attention.attention.query.bias', 'same'],
  ['vit_block{i}_attention/key_kernel', 'vit.encoder.layer.{i}.attention.attention.key.weight', 'transpose'],
  ['vit_block{i}_attention/key_bias', 'vit.encoder.layer.{i}.attention.attention.key.bias', 'same'],
  [
    'vit_block{i}_attention/value_kernel',
    'vit.encoder.layer.{i}.attention.attention.value.weight',
    'transpose',
  ],
  ['vit_block{i}_attention/value_bias', 'vit.encoder.layer.{i}.attention.attention.value.bias', 'same'],
  [
    'vit_block{i}_attention/output_kernel',
    'vit.encoder.layer.{i}.attention.output.dense.weight',
    'transpose',
  ],
  ['vit_block{i}_attention/output_bias', 'vit.encoder.layer.{i}.attention.output.dense.bias', 'same'],
  ['vit_block{i}_norm2/gamma', 'vit.encoder.layer.{i}.layernorm_after.weight', 'same'],
  ['vit_block{i}_norm2/beta', 'vit.encoder.layer.{i}.layernorm_after.bias', 'same'],
  ['vit_block{i}_ffn_inner/kernel', 'vit.encoder.layer.{i}.intermediate.dense.weight', 'transpose'],
  ['vit_block{i}_ffn_inner/bias', 'vit.encoder.layer.{i}.intermediate.dense.bias', 'same'],
  ['vit_block{i}_ffn_outer/kernel', 'vit.encoder.layer.{i}.output.dense.weight', 'transpose'],
  ['vit_block{i}_ffn_outer/bias', 'vit.encoder.layer.{i}.output.dense.bias', 'same'],
  ['vit_final_norm/gamma', 'vit.layernorm.weight', 'same'],
  ['vit_final_norm/beta', 'vit.layernorm.bias', 'same'],
  ['classifier_head/kernel', 'classifier.weight', 'transpose'],
  ['classifier_head/bias', 'classifier.bias', 'same'],
];

const pattern = (template: string) =>
  new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace('{i}', '(\\d+)')}$`);
const COMPILED = RULES.map(([tfjs, hf, layout]) => ({
  tfjs,
  hf,
  layout,
  fromTfjs: pattern(tfjs),
  fromHf: pattern(hf),
}));

function rename(name: string, direction: 'toHf' | 'toTfjs'): { name: string; layout: Layout } | undefined {
  for (const r of COMPILED) {
    const m = (direction === 'toHf' ? r.fromTfjs : r.fromHf).exec(name);
    if (m)
      return { name: (direction === 'toHf' ? r.hf : r.tfjs).replace('{i}', m[1] ?? ''), layout: r.layout };
  }
  return undefined;
}

/** The Hugging Face naming of one ViT preset (task config of `attnzoo.vit.ImageClassifier`). */
export function vitHuggingFaceNaming(config: ImageClassifierConfig): WeightNaming {
  const b = config.backbone;
  const why =
    b.variant !== 'sdpa'
      ? `its attention is ${b.variant}, which transformers' ViT has no weights for`
      : b.pooling !== 'class'
        ? "it pools by mean, and transformers' ViT classifies the class token"
        : undefined;
  if (why)
    throw new PresetError(
      'invalid',
      `Hugging Face names exist for SDPA ViTs with a class token only: ${why}. Export without --names (tfjs names) and load it with the PyTorch twin (python/attnzoo_torch).`,
    );
  const p = b.patchSize;
  const channels = b.channels;
  return {
    id: HF_NAMES,
    toExternal(t: NamedValues): NamedValues {
      const to = rename(t.name, 'toHf');
      if (!to)
        throw new PresetError(
          'invalid',
          `Weight ${t.name} has no Hugging Face name (a ViT weight this version does not know).`,
        );
      switch (to.layout) {
        case 'transpose':
          return transposed(t, to.name);
        case 'patch': // [p·p·C, D] flattened (row, column, channel) → Conv2d [D, C, p, p]
          return {
            name: to.name,
            shape: [t.shape[1], channels, p, p],
            data: permuteValues(t.data, [p, p, channels, t.shape[1]], [3, 2, 0, 1]),
          };
        case 'positions':
          return { name: to.name, shape: [1, ...t.shape], data: t.data };
        default:
          return { ...t, name: to.name };
      }
    },
    fromExternal(t: NamedValues): NamedValues | undefined {
      const to = rename(t.name, 'toTfjs');
      if (!to) return undefined;
      // Shapes the file does not have are left for the import's shape check to report.
      switch (to.layout) {
        case 'transpose':
          return t.shape.length === 2 ? transposed(t, to.name) : { ...t, name: to.name };
        case 'patch': {
          if (t.shape.length !== 4) return { ...t, name: to.name };
          const [d, c, ph, pw] = t.shape;
          return {
            name: to.name,
            shape: [ph * pw * c, d],
            data: permuteValues(t.data, t.shape, [2, 3, 1, 0]),
          };
        }
        case 'positions':
          return t.shape.length === 3 && t.shape[0] === 1
            ? { name: to.name, shape: t.shape.slice(1), data: t.data }
            : { ...t, name: to.name };
        default:
          return { ...t, name: to.name };
      }
    },
    companionFiles: () => ({
      'config.json': `${JSON.stringify(huggingFaceViTConfig(config), null, 2)}\n`,
      'preprocessor_config.json': `${JSON.stringify(huggingFaceImageProcessorConfig(config), null, 2)}\n`,
    }),
  };
}

/** transformers' ViTConfig for `ViTForImageClassification` with this preset's architecture and labels. */
export function huggingFaceViTConfig(config: ImageClassifierConfig): Record<string, unknown> {
  const b = config.backbone;
  const names = config.classNames ?? Array.from({ length: config.numClasses }, (_, i) => String(i));
  return {
    architectures: ['ViTForImageClassification'],
    model_type: 'vit',
    hidden_size: b.width,
    num_hidden_layers: b.depth,
    num_attention_heads: b.numHeads,
    intermediate_size: b.feedForwardWidth,
    hidden_act: b.activation ?? 'gelu',
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
    layer_norm_eps: 1e-6,
    image_size: b.imageSize,
    patch_size: b.patchSize,
    num_channels: b.channels,
    qkv_bias: true,
    id2label: Object.fromEntries(names.map((n, i) => [String(i), n])),
    label2id: Object.fromEntries(names.map((n, i) => [n, i])),
  };
}

/** transformers' ViTImageProcessor settings that give this preset's model inputs: resize, ×rescale, −mean, ÷std. */
export function huggingFaceImageProcessorConfig(config: ImageClassifierConfig): Record<string, unknown> {
  const pre = config.preprocessor ?? {};
  const c = config.backbone.channels;
  return {
    image_processor_type: 'ViTImageProcessor',
    do_resize: true,
    size: { height: config.backbone.imageSize, width: config.backbone.imageSize },
    do_rescale: true,
    rescale_factor: pre.rescale ?? 1 / 255,
    do_normalize: true,
    image_mean: pre.mean ?? new Array(c).fill(0.5),
    image_std: pre.std ?? new Array(c).fill(0.5),
  };
}

registerWeightNaming(ImageClassifier.className, HF_NAMES, (config) =>
  vitHuggingFaceNaming(config as unknown as ImageClassifierConfig),
);
