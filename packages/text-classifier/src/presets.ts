import type { AttentionVariant } from '@attnzoo/attention';
import { registerPreset } from '@attnzoo/hub';
import { TASK_FIT_DEFAULTS, type TaskFitDefaults } from '@attnzoo/train';
import type { TextClassifierOptions } from './config';

export type ReleaseDataset = 'imdb' | 'amazon-multidomain';

/** How a pretrained release is made: data, model and training settings. */
export interface ReleaseRecipe {
  name: string;
  dataset: ReleaseDataset;
  variant: AttentionVariant;
  /** SentencePiece vocabulary (unigram) trained on the data set's training split. */
  vocabularySize: number;
  model: Omit<TextClassifierOptions, 'vocabularySize' | 'padId'>;
  training: {
    epochs: number;
    batchSize: number;
    peakLr: number;
    weightDecay: number;
    warmupFraction: number;
    labelSmoothing: number;
    /** Early stopping on validation accuracy; the best epoch's weights are kept. */
    patience: number;
  };
  /** Fine-tuning defaults when this preset is the starting point. */
  finetune: { epochs: number; batchSize: number; lr: number; weightDecay: number };
}

/** `TextClassifier.fit`'s defaults, for what its options leave out. */
export const FIT_DEFAULTS: Readonly<TaskFitDefaults> = TASK_FIT_DEFAULTS;

/** Fine-tuning defaults of the family: a short schedule at a lower peak rate than training from scratch. */
export const FINETUNE_DEFAULTS: Readonly<ReleaseRecipe['finetune']> = {
  epochs: 1,
  batchSize: 32,
  lr: 3e-4,
  weightDecay: 0.01,
};

export const RELEASE_VARIANTS: readonly AttentionVariant[] = ['sdpa', 'optimised', 'efficient', 'super'];

/** Same model for every variant so the comparison is fair; only the attention differs. */
function recipe(dataset: ReleaseDataset, variant: AttentionVariant): ReleaseRecipe {
  const short = dataset === 'imdb' ? 'imdb' : 'amazon';
  return {
    name: `textcls-${short}-${variant}`,
    dataset,
    variant,
    vocabularySize: 8000,
    model: {
      variant,
      maxLength: 256,
      width: 64,
      numHeads: 4,
      feedForwardWidth: 128,
      numBlocks: 1,
      pooling: 'mean',
      dropout: 0.1,
      attentionDropout: 0,
      normFirst: true,
      classNames: ['negative', 'positive'],
      seed: 0,
    },
    training: {
      epochs: dataset === 'imdb' ? 6 : 10,
      // Large batches: on WebGPU a step costs about the same CPU time whatever its size.
      batchSize: dataset === 'imdb' ? 128 : 64,
      peakLr: 2e-3,
      weightDecay: 0.01,
      warmupFraction: 0.05,
      labelSmoothing: 0,
      patience: 2,
    },
    finetune: { ...FINETUNE_DEFAULTS },
  };
}

export const RELEASE_RECIPES: Readonly<Record<string, ReleaseRecipe>> = Object.fromEntries(
  (['imdb', 'amazon-multidomain'] as const)
    .flatMap((d) => RELEASE_VARIANTS.map((v) => recipe(d, v)))
    .map((r) => [r.name, r]),
);

export function getRecipe(name: string): ReleaseRecipe {
  const r = RELEASE_RECIPES[name];
  if (!r)
    throw new Error(
      `unknown release ${JSON.stringify(name)}; known: ${Object.keys(RELEASE_RECIPES).join(', ')}`,
    );
  return r;
}

/** Splits used by the releases (documented in the cards). */
export const SPLIT_NOTES: Record<ReleaseDataset, string> = {
  imdb: 'IMDB official split: train 25,000 (of which a seeded 10 % = 2,500, seed 42, is held out for validation / early stopping; 22,500 trained on), test 25,000 (official)',
  'amazon-multidomain':
    'Blitzer et al. multi-domain (books, dvd, electronics, kitchen; 8,000 labelled reviews): no official split, so @attnzoo/datasets deriveSplits seed 42: test 10 % (800), validation 10 % of the rest, train the remainder; also evaluated on the first 6,459 lines of the Amazon Review Polarity test split',
};

// Each release is an npm package @attnzoo/model-<name> holding the preset in preset/, so
// `TextClassifier.fromPretrained('textcls-imdb-super')` finds it once installed.
for (const r of Object.values(RELEASE_RECIPES)) {
  registerPreset({
    name: r.name,
    package: `@attnzoo/model-${r.name}`,
    task: 'text-classification',
    description: `${r.dataset} sentiment, ${r.variant} attention`,
  });
}
