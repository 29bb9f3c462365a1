import {
  decodeSafetensors,
  exportSafetensors,
  importSafetensors,
  PresetError,
  SAFETENSORS_NAMES_KEY,
} from '@attnzoo/hub';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ImageClassifier, type ImageClassifierConfig } from './classifier';
import { huggingFaceViTConfig, vitHuggingFaceNaming } from './hf-names';
import { useTestBackend } from './testing/setup';

beforeAll(useTestBackend);

// 8×8 RGB images in 4×4 patches: 4 patches + the class token; two blocks.
const config = (seed = 3, variant: 'sdpa' | 'super' = 'sdpa'): ImageClassifierConfig => ({
  backbone: {
    imageSize: 8,
    channels: 3,
    patchSize: 4,
    width: 8,
    depth: 2,
    numHeads: 2,
    feedForwardWidth: 16,
    variant,
    pooling: 'class',
    dropout: 0,
    attentionDropout: 0,
    seed,
  },
  preprocessor: { imageSize: 8, channels: 3 },
  numClasses: 3,
  classNames: ['cat', 'dog', 'bird'],
});

/** The parameter names of transformers' ViTForImageClassification with 2 layers, in its module order. */
const HF_KEYS = [
  'vit.embeddings.cls_token',
  'vit.embeddings.position_embeddings',
  'vit.embeddings.patch_embeddings.projection.weight',
  'vit.embeddings.patch_embeddings.projection.bias',
  ...[0, 1].flatMap((i) =>
    [
      'attention.attention.query.weight',
      'attention.attention.query.bias',
      'attention.attention.key.weight',
      'attention.attention.key.bias',
      'attention.attention.value.weight',
      'attention.attention.value.bias',
      'attention.output.dense.weight',
      'attention.output.dense.bias',
      'intermediate.dense.weight',
      'intermediate.dense.bias',
      'output.dense.weight',
      'output.dense.bias',
      'layernorm_before.weight',
      'layernorm_before.bias',
      'layernorm_after.weight',
      'layernorm_after.bias',
    ].map((k) => `vit.encoder.layer.${i}.${k}`),
  ),
  'vit.layernorm.weight',
  'vit.layernorm.bias',
  'classifier.weight',
  'classifier.bias',
];

const weightsOf = (m: LayersModel) => m.weights.map((w) => Array.from(w.read().dataSync()));

describe('Hugging Face names for SDPA ViTs', () => {
  it("names every weight as transformers' ViTForImageClassification does, in PyTorch's layouts", () => {
    const classifier = ImageClassifier.create(config());
    const naming = vitHuggingFaceNaming(config());
    const decoded = decodeSafetensors(exportSafetensors(classifier.model, { naming }));
    expect(decoded.metadata[SAFETENSORS_NAMES_KEY]).toBe('hf');
    expect(decoded.tensors.map((t) => t.name).sort()).toEqual([...HF_KEYS].sort());
    const shape = (n: string) => decoded.tensors.find((t) => t.name === n)?.shape;
    expect(shape('vit.embeddings.patch_embeddings.projection.weight')).toEqual([8, 3, 4, 4]);
    expect(shape('vit.embeddings.position_embeddings')).toEqual([1, 5, 8]);
    expect(shape('vit.embeddings.cls_token')).toEqual([1, 1, 8]);
    expect(shape('vit.encoder.layer.1.intermediate.dense.weight')).toEqual([16, 8]); // [out, in]
    expect(shape('vit.encoder.layer.1.output.dense.weight')).toEqual([8, 16]);
    expect(shape('classifier.weight')).toEqual([3, 8]);
    classifier.dispose();
  });

  it('the exported Conv2d and position layouts give the patch embedding tfjs computes', () => {
    const classifier = ImageClassifier.create(config());
    const decoded = decodeSafetensors(
      exportSafetensors(classifier.model, { naming: vitHuggingFaceNaming(config()) }),
    );
    const get = (n: string) => {
      const t = decoded.tensors.find((x) => x.name === n)!;
      return tf.tensor(t.data, t.shape);
    };
    const images = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 5);
    const patches = classifier.model.getLayer('vit_patches');
    const ours = patches.apply(images) as tf.Tensor;
    // Hugging Face's embedding, with tfjs's conv2d: filter [D, C, p, p] → [p, p, C, D] (HWIO), stride p.
    const filter = tf.transpose(get('vit.embeddings.patch_embeddings.projection.weight'), [2, 3, 1, 0]);
    const conv = tf.add(
      tf.conv2d(images as tf.Tensor4D, filter as tf.Tensor4D, 4, 'valid'),
      get('vit.embeddings.patch_embeddings.projection.bias'),
    );
    const tokens = tf.concat(
      [tf.broadcastTo(get('vit.embeddings.cls_token'), [2, 1, 8]), tf.reshape(conv, [2, 4, 8])],
      1,
    );
    const theirs = tf.add(tokens, get('vit.embeddings.position_embeddings'));
    expect(tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([images, ours, filter, conv, tokens, theirs]);
    classifier.dispose();
  });

  it('reads its own export back bit for bit, and refuses the file without the naming', () => {
    const source = ImageClassifier.create(config(3));
    const target = ImageClassifier.create(config(11));
    const bytes = exportSafetensors(source.model, { naming: vitHuggingFaceNaming(config()) });
    expect(() => importSafetensors(target.model, bytes)).toThrow(/names its tensors the 'hf' way/);
    const r = importSafetensors(target.model, bytes, { naming: vitHuggingFaceNaming(config()) });
    expect(r.assigned).toBe(target.model.weights.length);
    expect(r.changed).toBeGreaterThan(0);
    expect(weightsOf(target.model)).toEqual(weightsOf(source.model));
    source.dispose();
    target.dispose();
  });

  it('exists for SDPA with a class token only, saying why', () => {
    expect(() => vitHuggingFaceNaming(config(3, 'super'))).toThrow(PresetError);
    expect(() => vitHuggingFaceNaming(config(3, 'super'))).toThrow(/its attention is super/);
    const mean = config();
    mean.backbone.pooling = 'mean';
    expect(() => vitHuggingFaceNaming(mean)).toThrow(/pools by mean/);
  });

  it("writes transformers' ViTConfig with the architecture and labels", () => {
    const hf = huggingFaceViTConfig(config());
    expect(hf).toMatchObject({
      model_type: 'vit',
      hidden_size: 8,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 16,
      hidden_act: 'gelu',
      layer_norm_eps: 1e-6,
      image_size: 8,
      patch_size: 4,
      num_channels: 3,
      qkv_bias: true,
      id2label: { 0: 'cat', 1: 'dog', 2: 'bird' },
    });
  });
});
