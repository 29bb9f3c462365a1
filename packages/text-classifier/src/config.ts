import { ATTENTION_VARIANTS, type AttentionVariant } from '@attnzoo/attention';

/** Text preprocessing: cleanup, SentencePiece, fixed length. Stored in presets. */
export interface TextPreprocessorConfig {
  /** Every input becomes exactly this many ids (Super attention needs a fixed length). */
  maxLength: number;
  /** Which part of a long text is kept: 'end' cuts the end (keeps the start, default), 'start' cuts the start. */
  truncation: 'end' | 'start';
  /** Put the bos id first (the class token for class pooling). */
  addBos: boolean;
  /** Unicode normalisation applied before SentencePiece (which applies its own NFKC too). */
  unicodeNormalization: 'NFKC' | 'NFC' | 'none';
  /** Turn HTML line breaks (IMDB's `<br />`) and other tags into spaces. */
  stripHtml: boolean;
  lowercase: boolean;
}

export interface TextClassifierConfig {
  variant: AttentionVariant;
  /** SentencePiece vocabulary size; must equal the tokenizer's. */
  vocabularySize: number;
  /** Must equal the preprocessor's maxLength. */
  maxLength: number;
  width: number;
  numHeads: number;
  feedForwardWidth: number;
  numBlocks: number;
  /** 'mean': masked mean over tokens; 'class': the first token (bos, added by the preprocessor). */
  pooling: 'mean' | 'class';
  dropout: number;
  attentionDropout: number;
  normFirst: boolean;
  numClasses: number;
  classNames: string[];
  /** The id that pads inputs and is masked out of attention and pooling; the tokenizer's pad id. */
  padId: number;
  seed: number;
  preprocessor: TextPreprocessorConfig;
  /** sha256 of the tokenizer model the embeddings were trained with, to catch a mismatch. */
  tokenizerSha256?: string;
}

export const DEFAULT_PREPROCESSOR: TextPreprocessorConfig = {
  maxLength: 256,
  truncation: 'end',
  addBos: false,
  unicodeNormalization: 'NFKC',
  stripHtml: true,
  lowercase: false,
};

export type TextClassifierOptions = Partial<Omit<TextClassifierConfig, 'preprocessor'>> & {
  vocabularySize: number;
  preprocessor?: Partial<TextPreprocessorConfig>;
};

/** Fills defaults and checks the config; errors say what to change. */
export function textClassifierConfig(o: TextClassifierOptions): TextClassifierConfig {
  const maxLength = o.maxLength ?? o.preprocessor?.maxLength ?? DEFAULT_PREPROCESSOR.maxLength;
  const pooling = o.pooling ?? 'mean';
  const numClasses = o.numClasses ?? o.classNames?.length ?? 2;
  const c: TextClassifierConfig = {
    variant: o.variant ?? 'sdpa',
    vocabularySize: o.vocabularySize,
    maxLength,
    width: o.width ?? 64,
    numHeads: o.numHeads ?? 4,
    feedForwardWidth: o.feedForwardWidth ?? 2 * (o.width ?? 64),
    numBlocks: o.numBlocks ?? 1,
    pooling,
    dropout: o.dropout ?? 0.1,
    attentionDropout: o.attentionDropout ?? 0,
    normFirst: o.normFirst ?? true,
    numClasses,
    classNames: o.classNames ?? Array.from({ length: numClasses }, (_, i) => String(i)),
    padId: o.padId ?? 0,
    seed: o.seed ?? 0,
    preprocessor: {
      ...DEFAULT_PREPROCESSOR,
      addBos: pooling === 'class',
      ...o.preprocessor,
      maxLength,
    },
    ...(o.tokenizerSha256 ? { tokenizerSha256: o.tokenizerSha256 } : {}),
  };
  validateConfig(c);
  return c;
}

export function validateConfig(c: TextClassifierConfig): void {
  const fail = (m: string) => {
    throw new Error(`TextClassifier config: ${m}`);
  };
  if (!(ATTENTION_VARIANTS as readonly string[]).includes(c.variant)) {
    fail(
      `unknown attention variant ${JSON.stringify(c.variant)}; use one of ${ATTENTION_VARIANTS.join(', ')}`,
    );
  }
  for (const k of [
    'vocabularySize',
    'maxLength',
    'width',
    'numHeads',
    'feedForwardWidth',
    'numBlocks',
  ] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) fail(`${k} must be a positive integer, got ${c[k]}`);
  }
  if (c.width % c.numHeads !== 0) fail(`width ${c.width} is not divisible by numHeads ${c.numHeads}`);
  if (!Number.isInteger(c.numClasses) || c.numClasses < 2)
    fail(`numClasses must be >= 2, got ${c.numClasses}`);
  if (c.classNames.length !== c.numClasses)
    fail(`${c.classNames.length} class names for ${c.numClasses} classes`);
  if (c.pooling !== 'mean' && c.pooling !== 'class') fail(`pooling must be 'mean' or 'class'`);
  if (c.pooling === 'class' && !c.preprocessor.addBos)
    fail(`class pooling needs preprocessor.addBos (the class token)`);
  if (c.preprocessor.maxLength !== c.maxLength) {
    fail(
      `preprocessor.maxLength ${c.preprocessor.maxLength} differs from the model's maxLength ${c.maxLength}`,
    );
  }
  if (!Number.isInteger(c.padId) || c.padId < 0 || c.padId >= c.vocabularySize) {
    fail(`padId ${c.padId} must be an id of the vocabulary [0, ${c.vocabularySize})`);
  }
  for (const k of ['dropout', 'attentionDropout'] as const) {
    if (!(c[k] >= 0 && c[k] < 1)) fail(`${k} must be in [0, 1), got ${c[k]}`);
  }
}
