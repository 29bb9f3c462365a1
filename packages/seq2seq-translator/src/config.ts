import { type AttentionVariant, assertAttentionVariant } from '@attnzoo/attention';

/** Everything that shapes a translator model; stored in a preset's config.json. */
export interface TranslatorConfig {
  variant: AttentionVariant;
  /** Shared source/target SentencePiece vocabulary size (one embedding table for both sides). */
  vocabularySize: number;
  width: number;
  numHeads: number;
  feedForwardWidth: number;
  encoderLayers: number;
  decoderLayers: number;
  /** Source tokens including the end-of-sequence id; longer inputs are truncated (and reported). */
  sourceMaxLength: number;
  /** Decoder positions: BOS + generated tokens (so at most targetMaxLength - 1 output tokens + EOS). */
  targetMaxLength: number;
  dropout: number;
  attentionDropout?: number;
  activation?: 'gelu' | 'relu';
  padId: number;
  bosId: number;
  eosId: number;
  unkId: number;
  seed?: number;
}

export const DEFAULT_CONFIG: Omit<
  TranslatorConfig,
  'variant' | 'vocabularySize' | 'padId' | 'bosId' | 'eosId' | 'unkId'
> = {
  width: 256,
  numHeads: 8,
  feedForwardWidth: 768,
  encoderLayers: 2,
  decoderLayers: 2,
  sourceMaxLength: 32,
  targetMaxLength: 32,
  dropout: 0.1,
  activation: 'relu',
};

export function checkConfig(config: TranslatorConfig): TranslatorConfig {
  assertAttentionVariant(config.variant);
  const positive = [
    'vocabularySize',
    'width',
    'numHeads',
    'feedForwardWidth',
    'encoderLayers',
    'decoderLayers',
    'sourceMaxLength',
    'targetMaxLength',
  ] as const;
  for (const key of positive) {
    const v = config[key];
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`Translator config: ${key} must be a positive integer, got ${v}.`);
  }
  if (config.width % config.numHeads !== 0) {
    throw new Error(
      `Translator config: width ${config.width} is not divisible by numHeads ${config.numHeads}.`,
    );
  }
  for (const key of ['padId', 'bosId', 'eosId', 'unkId'] as const) {
    const v = config[key];
    if (!Number.isInteger(v) || v < 0 || v >= config.vocabularySize) {
      throw new Error(
        `Translator config: ${key} ${v} is outside the vocabulary [0, ${config.vocabularySize}).`,
      );
    }
  }
  if (new Set([config.padId, config.bosId, config.eosId]).size !== 3) {
    throw new Error('Translator config: padId, bosId and eosId must be three different ids.');
  }
  return config;
}
