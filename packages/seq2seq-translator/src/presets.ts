import { ATTENTION_VARIANTS, type AttentionVariant } from '@attnzoo/attention';
import { registerPreset } from '@attnzoo/hub';
import { TASK_FIT_DEFAULTS } from '@attnzoo/train';
import { DEFAULT_CONFIG, type TranslatorConfig } from './config';

export type ArchitectureConfig = Omit<
  TranslatorConfig,
  'vocabularySize' | 'padId' | 'bosId' | 'eosId' | 'unkId'
>;

/** The released English→Spanish presets: one per attention variant, same architecture otherwise. */
export const TRANSLATOR_PRESETS: Record<
  string,
  { variant: AttentionVariant; architecture: ArchitectureConfig; package: string }
> = Object.fromEntries(
  ATTENTION_VARIANTS.map((variant) => [
    `translator-en-es-${variant}`,
    {
      variant,
      architecture: { ...DEFAULT_CONFIG, variant, seed: 1 },
      package: `@attnzoo/model-translator-en-es-${variant}`,
    },
  ]),
);

/** Test pairs (from the start of the test split) whose greedy BLEU a release records and its tests re-measure. */
export const RELEASE_CHECK_SENTENCES = 250;

/** Shared SentencePiece vocabulary size of the released presets. */
export const RELEASE_VOCABULARY_SIZE = 8000;

export function presetArchitecture(name: string): ArchitectureConfig {
  const p = TRANSLATOR_PRESETS[name];
  if (!p) {
    throw new Error(
      `Unknown translator preset ${JSON.stringify(name)}: use one of ${Object.keys(TRANSLATOR_PRESETS).join(', ')}.`,
    );
  }
  return { ...p.architecture };
}

for (const [name, p] of Object.entries(TRANSLATOR_PRESETS)) {
  registerPreset({
    name,
    package: p.package,
    task: 'translation',
    description: `English→Spanish, ${p.variant} attention`,
  });
}

/** `Translator.fit`'s defaults, for what its options leave out. */
export const FIT_DEFAULTS = {
  ...TASK_FIT_DEFAULTS,
  lr: 5e-4,
  labelSmoothing: 0.1,
  /** Validation sentences translated for val_bleu after every epoch. */
  bleuSentences: 200,
};

/** How the translator-en-es-* releases train (`attnzoo release train`), where the command leaves it out. */
export const RELEASE_TRAINING = {
  epochs: 15,
  batchSize: 128,
  lr: 7e-4,
  labelSmoothing: 0.1,
  seed: 1,
  beam: 4,
  bleuSentences: 500,
  validationLimit: 2000,
};

/** Fine-tuning defaults of the family: a short schedule at a lower peak rate than training from scratch. */
export const FINETUNE_DEFAULTS = { epochs: 2, batchSize: 64, lr: 1e-4, weightDecay: 0.01 };
