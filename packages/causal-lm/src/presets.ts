import { ATTENTION_VARIANTS, type AttentionVariant } from '@attnzoo/attention';
import type { TokenizerIds } from '@attnzoo/tokenizer';
import { TASK_FIT_DEFAULTS, type TaskFitDefaults } from '@attnzoo/train';
import type { CausalLMConfig } from './backbone';

/** The architecture of a preset, without the tokenizer's ids (they come from the tokenizer). */
export type ArchitectureConfig = Omit<CausalLMConfig, keyof TokenizerIds>;

/** The same small model for every variant, so that only the attention differs. */
export const DEFAULT_ARCHITECTURE: Omit<ArchitectureConfig, 'variant'> = {
  maxLength: 32,
  width: 128,
  numHeads: 4,
  feedForwardWidth: 256,
  numLayers: 2,
  dropout: 0.1,
  seed: 1,
};

/**
 * `lm-es-<variant>`: a Spanish language model on the Spanish side of the Anki spa-eng pairs (the
 * translator's data and split: `splitParallel`), one preset per attention variant; configuration
 * only, no released weights.
 */
export const LM_PRESETS: Readonly<
  Record<string, { variant: AttentionVariant; architecture: ArchitectureConfig }>
> = Object.fromEntries(
  ATTENTION_VARIANTS.map((variant) => [
    `lm-es-${variant}`,
    { variant, architecture: { ...DEFAULT_ARCHITECTURE, variant } },
  ]),
);

export function presetArchitecture(name: string): ArchitectureConfig {
  const p = LM_PRESETS[name];
  if (!p)
    throw new Error(
      `Unknown language-model preset ${JSON.stringify(name)}: use one of ${Object.keys(LM_PRESETS).join(', ')}.`,
    );
  return { ...p.architecture };
}

/** `CausalLM.fit`'s defaults, for what its options leave out: the ones every task starts from. */
export const FIT_DEFAULTS: Readonly<TaskFitDefaults> = TASK_FIT_DEFAULTS;

/** Fine-tuning defaults of the family: a short schedule at a lower peak rate than training from scratch. */
export const FINETUNE_DEFAULTS = { epochs: 1, batchSize: 64, lr: 3e-4, weightDecay: 0.01 };
