import { ATTENTION_VARIANTS, type AttentionVariant } from '@attnzoo/attention';
import { registerPreset } from '@attnzoo/hub';
import { TASK_FIT_DEFAULTS, type TaskFitDefaults } from '@attnzoo/train';
import type { ViTBackboneConfig } from './config';
import type { ImagePreprocessorConfig } from './preprocessor';

/** The data sets releases and fine-tuning know how to load. */
export type ImageDatasetName = 'mnist' | 'fashion-mnist' | 'cifar-10-jpeg' | 'cifar-100';

export interface TrainingRecipe {
  epochs: number;
  batchSize: number;
  peakLr: number;
  warmupFraction: number;
  weightDecay: number;
  labelSmoothing: number;
  clipNorm: number;
  seed: number;
}

/** How one preset is built and trained from scratch: the command `train-release <name>` follows it. */
export interface ReleaseRecipe {
  name: string;
  dataset: ImageDatasetName;
  description: string;
  /** Said in the card: how the data differ from the canonical files, if they do. */
  dataNote?: string;
  backbone: ViTBackboneConfig;
  preprocessor: ImagePreprocessorConfig;
  numClasses: number;
  training: TrainingRecipe;
  /** Whether weights are published (cifar100 is a configuration only, until the data can be downloaded). */
  released: boolean;
}

const MNIST_BACKBONE = {
  imageSize: 28,
  channels: 1,
  patchSize: 4, // 7×7 = 49 patches + class token = 50 tokens
  width: 64,
  // 4 blocks, batch 512: WebGPU in Node pays ~0.3 ms of CPU per kernel launch, so fewer, larger
  // steps train more epochs in the same time (see bench-results/h200-2026-11-28/vit-step-profile.md)
  depth: 4,
  numHeads: 4,
  feedForwardWidth: 128,
  pooling: 'class',
  dropout: 0,
  attentionDropout: 0,
  seed: 7,
} as const;

const CIFAR_BACKBONE = {
  imageSize: 32,
  channels: 3,
  patchSize: 4, // 8×8 = 64 patches + class token = 65 tokens
  width: 192,
  depth: 6,
  numHeads: 6,
  feedForwardWidth: 384,
  pooling: 'class',
  dropout: 0,
  attentionDropout: 0,
  seed: 7,
} as const;

// Per-channel statistics of the CIFAR-10 training set (the usual published values).
const CIFAR_NORM = { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] };

function mnist(variant: AttentionVariant): ReleaseRecipe {
  return {
    name: `vit-mnist-${variant}`,
    dataset: 'mnist',
    description: `Vision Transformer with ${variant} attention, trained from scratch on MNIST (all 60,000 training images).`,
    backbone: { ...MNIST_BACKBONE, variant },
    preprocessor: {
      imageSize: 28,
      channels: 1,
      mean: [0.1307],
      std: [0.3081],
      augment: { cropPadding: 2, horizontalFlip: false },
    },
    numClasses: 10,
    training: {
      epochs: 15,
      batchSize: 512,
      peakLr: 3e-3,
      warmupFraction: 0.05,
      weightDecay: 0.05,
      labelSmoothing: 0,
      clipNorm: 1,
      seed: 1,
    },
    released: true,
  };
}

function cifar(variant: AttentionVariant | undefined, classes: 10 | 100): ReleaseRecipe {
  const c10 = classes === 10;
  return {
    name: c10 ? `vit-cifar10-${variant}` : 'vit-cifar100',
    dataset: c10 ? 'cifar-10-jpeg' : 'cifar-100',
    description: c10
      ? `Vision Transformer with ${variant} attention, trained from scratch on CIFAR-10 (all 50,000 training images).`
      : 'Vision Transformer (super attention) for CIFAR-100, trained from scratch on the 50,000 training images.',
    dataNote: c10
      ? 'CIFAR-10 read from the JPEG re-encoding cifar-10-jpeg-q75.tar.gz (every image, JPEG quality 75, about 28-32 dB PSNR against the originals), not the canonical binary archive: accuracy on the original pixels may differ slightly.'
      : undefined,
    backbone: { ...CIFAR_BACKBONE, variant: variant ?? 'super' },
    preprocessor: {
      imageSize: 32,
      channels: 3,
      ...CIFAR_NORM,
      // Crop and flip alone let a small ViT overfit CIFAR-10 (54-60 % after 4 epochs, train loss
      // falling, test flat): TrivialAugment and random erasing are what small-ViT recipes add
      // (78-80 % after these 60 epochs, H200, 2026-12-03).
      augment: { cropPadding: 4, horizontalFlip: true, trivialAugment: true, randomErasing: 0.25 },
    },
    numClasses: classes,
    training: {
      epochs: 60,
      batchSize: 512,
      peakLr: 1e-3,
      warmupFraction: 0.05,
      weightDecay: 0.05,
      labelSmoothing: 0.1,
      clipNorm: 1,
      seed: 1,
    },
    released: c10,
  };
}

/** Every preset this package defines, by name. */
export const RELEASE_RECIPES: Readonly<Record<string, ReleaseRecipe>> = Object.fromEntries(
  [
    ...ATTENTION_VARIANTS.map(mnist),
    ...ATTENTION_VARIANTS.map((v) => cifar(v, 10)),
    cifar(undefined, 100),
  ].map((r) => [r.name, r]),
);

export function getRecipe(name: string): ReleaseRecipe {
  const recipe = RELEASE_RECIPES[name];
  if (!recipe) {
    throw new Error(
      `Unknown ViT preset ${JSON.stringify(name)}: use one of ${Object.keys(RELEASE_RECIPES).join(', ')}.`,
    );
  }
  return recipe;
}

/** The npm package a release is published as. */
export function releasePackageName(name: string): string {
  return `@attnzoo/model-${name}`;
}

/** The cards' name for the seeded stratified test sample their second accuracy is measured on. */
export const SAMPLE_SPLIT = 'test, seeded stratified sample (100 per class, seed 0)';

/** `ImageClassifier.fit`'s defaults, for what its options leave out. */
export const FIT_DEFAULTS: Readonly<TaskFitDefaults> = {
  ...TASK_FIT_DEFAULTS,
  batchSize: 128,
  weightDecay: 0.05,
};

/** Fine-tuning defaults of the family: a short schedule at a lower peak rate than training from scratch. */
export const FINETUNE_DEFAULTS = {
  epochs: 1,
  batchSize: 128,
  lr: 5e-4,
  weightDecay: 0.05,
  warmupFraction: 0.1,
};

// Released presets load by name from their model-release packages (`npm install @attnzoo/model-<name>`).
for (const recipe of Object.values(RELEASE_RECIPES)) {
  if (!recipe.released) continue;
  registerPreset({
    name: recipe.name,
    package: releasePackageName(recipe.name),
    task: 'image-classification',
    description: recipe.description,
  });
}
