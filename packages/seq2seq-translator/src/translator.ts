import {
  type FromPretrainedOptions,
  type LoadedPreset,
  presetLoaderSlot,
  setPresetWeights,
  TOKENIZER_FILE,
} from '@attnzoo/hub';
import { SentencePieceTokenizer, type TokenizerIds, tokenizerIds } from '@attnzoo/tokenizer';
import type { TrainResult } from '@attnzoo/train';
import * as tf from '@tensorflow/tfjs-core';
import { buildTranslator, type TranslatorModels } from './backbone';
import { checkConfig, type TranslatorConfig } from './config';
import { type DecodeOptions, decode } from './decoding/search';
import { type FitOptions, fitTranslator } from './fit';
import { type BleuScore, corpusBleu } from './metrics/bleu';
import { type ChrfScore, corpusChrf } from './metrics/chrf';
import { TranslatorPreprocessor, type TranslatorTokenizer } from './preprocessor';

const presets = presetLoaderSlot();

/** Replaces the loader `Translator.fromPretrained` uses (`@attnzoo/seq2seq-translator/node` installs folders, packages, URLs). */
export const setPresetLoader = presets.set;

export interface TranslateOptions extends DecodeOptions {
  /** Sentences per decoding batch (default 64; beam search multiplies rows by the beam width). */
  batchSize?: number;
  /**
   * Inputs longer than the encoder's sourceMaxLength: 'truncate' (default) keeps the first
   * sourceMaxLength - 1 tokens and marks the result `truncated`; 'error' throws.
   */
  onLongInput?: 'truncate' | 'error';
}

export interface TranslationDetail {
  text: string;
  /** Output tokens, EOS not counted. */
  tokens: number;
  /** The input was cut to fit the encoder. */
  truncated: boolean;
  /** Input tokens the vocabulary does not know (they reach the model as the unk id). */
  unknownTokens: number;
  /** The output ended with EOS (false: it hit maxLength). */
  finished: boolean;
}

export interface TranslateResult {
  translations: string[];
  details: TranslationDetail[];
  seconds: number;
  /** Output tokens (EOS included) of all sentences. */
  outputTokens: number;
  tokensPerSecond: number;
}

export interface EvaluateResult {
  bleu: BleuScore;
  chrf: ChrfScore;
  hypotheses: string[];
  sentences: number;
  seconds: number;
  tokensPerSecond: number;
}

/** config.json of a translator preset (besides the hub's formatVersion). */
export const PRESET_TASK_CLASS = 'attnzoo.seq2seq-translator.Translator';

/**
 * An English→Spanish (or any pair) translator: the model, its config and its SentencePiece
 * tokenizer. `translate` works on raw strings and returns detokenized text.
 */
export class Translator {
  /** Encodes sentences for the model and decodes its output (the tokenizer, checked against the config). */
  readonly preprocessor: TranslatorPreprocessor;

  constructor(
    readonly models: TranslatorModels,
    readonly config: TranslatorConfig,
    readonly tokenizer: TranslatorTokenizer,
  ) {
    checkConfig(config);
    this.preprocessor = new TranslatorPreprocessor(tokenizer, config);
  }

  /** A fresh (untrained) translator for `tokenizer`, with the given architecture. */
  static create(
    tokenizer: TranslatorTokenizer,
    config: Omit<TranslatorConfig, keyof TokenizerIds>,
  ): Translator {
    const full: TranslatorConfig = { ...config, ...tokenizerIds(tokenizer) };
    return new Translator(buildTranslator(full), full, tokenizer);
  }

  /** Rebuilds a translator from a loaded, verified preset (its config, weights and tokenizer.model). */
  static async fromPreset(preset: LoadedPreset): Promise<Translator> {
    const task = preset.config.task;
    if (!task || task.className !== PRESET_TASK_CLASS) {
      throw new Error(
        `${preset.source} is not a translator preset (config.json task is ${task?.className ?? 'missing'}, expected ${PRESET_TASK_CLASS}).`,
      );
    }
    const tokenizerBytes = preset.files[TOKENIZER_FILE];
    if (!tokenizerBytes)
      throw new Error(`${preset.source} has no ${TOKENIZER_FILE}: a translator preset ships its tokenizer.`);
    const config = checkConfig(task.config as unknown as TranslatorConfig);
    const tokenizer = await SentencePieceTokenizer.fromBytes(
      tokenizerBytes,
      `${TOKENIZER_FILE} of ${preset.source}`,
    );
    const models = buildTranslator(config);
    try {
      await setPresetWeights(models.model, preset.files, preset.source);
    } finally {
      preset.model.dispose();
    }
    return new Translator(models, config, tokenizer);
  }

  /** Loads a translator preset (a registered name or URL; folders and packages through the Node entry) and verifies it. */
  static async fromPretrained(source: string, options: FromPretrainedOptions = {}): Promise<Translator> {
    return Translator.fromPreset(await presets.load(source, options));
  }

  /**
   * Trains or fine-tunes with @attnzoo/train (teacher forcing, label smoothing, AdamW, warm-up +
   * cosine from a peak `lr` or a given schedule, clipping); `val_bleu` after every epoch.
   */
  fit(options: FitOptions): Promise<TrainResult> {
    return fitTranslator(this, options);
  }

  /** Source ids for one sentence: tokens + EOS, cut to sourceMaxLength. */
  encodeSource(text: string, onLong: 'truncate' | 'error' = 'truncate') {
    return this.preprocessor.encodeSource(text, onLong);
  }

  /** The task contract's `predict`: the translations alone (`translate` also gives details and speed). */
  async predict(sentences: readonly string[], options: TranslateOptions = {}): Promise<string[]> {
    return (await this.translate(sentences, options)).translations;
  }

  /**
   * Translates sentences in batches (sorted by length, so padding stays small). An empty or
   * blank sentence translates to '' without running the model.
   */
  async translate(sentences: readonly string[], options: TranslateOptions = {}): Promise<TranslateResult> {
    if (!Array.isArray(sentences)) throw new Error('translate expects an array of strings.');
    const batchSize = options.batchSize ?? 64;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`batchSize must be a positive integer, got ${batchSize}.`);
    const t0 = performance.now();
    const encoded = sentences.map((s) => this.encodeSource(s, options.onLongInput));
    const details: TranslationDetail[] = encoded.map((e) => ({
      text: '',
      tokens: 0,
      truncated: e.truncated,
      unknownTokens: e.unknownTokens,
      finished: true,
    }));
    const order = encoded
      .map((e, i) => ({ i, n: e.ids.length, empty: e.empty }))
      .filter((x) => !x.empty)
      .sort((a, b) => a.n - b.n || a.i - b.i)
      .map((x) => x.i);
    let outputTokens = 0;
    for (let start = 0; start < order.length; start += batchSize) {
      const rows = order.slice(start, start + batchSize);
      const S = Math.max(...rows.map((i) => encoded[i].ids.length));
      const block = new Int32Array(rows.length * S).fill(this.config.padId);
      for (const [r, i] of rows.entries()) block.set(encoded[i].ids, r * S);
      const source = tf.tensor2d(block, [rows.length, S], 'int32');
      try {
        const out = await decode(this.models, this.config, source, options);
        rows.forEach((i, r) => {
          details[i].text = this.preprocessor.decode(out.tokens[r]);
          details[i].tokens = out.tokens[r].length;
          details[i].finished = out.finished[r];
          outputTokens += out.tokens[r].length + (out.finished[r] ? 1 : 0);
        });
      } finally {
        source.dispose();
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    return {
      translations: details.map((d) => d.text),
      details,
      seconds,
      outputTokens,
      tokensPerSecond: outputTokens / Math.max(seconds, 1e-9),
    };
  }

  /** Translates `sources` and scores the detokenized output against `references` (BLEU 13a/exp and chrF). */
  async evaluate(
    sources: readonly string[],
    references: readonly string[],
    options: TranslateOptions = {},
  ): Promise<EvaluateResult> {
    if (sources.length !== references.length) {
      throw new Error(`evaluate: ${sources.length} sources but ${references.length} references.`);
    }
    const result = await this.translate(sources, options);
    return {
      bleu: corpusBleu(result.translations, [references]),
      chrf: corpusChrf(result.translations, [references]),
      hypotheses: result.translations,
      sentences: sources.length,
      seconds: result.seconds,
      tokensPerSecond: result.tokensPerSecond,
    };
  }

  /** config.json contents for hub's save(). */
  /** The training model (encoder and decoder, teacher-forced): what a preset saves. */
  get model() {
    return this.models.model;
  }

  presetConfig() {
    return { task: { className: PRESET_TASK_CLASS, config: { ...this.config } as Record<string, unknown> } };
  }

  /**
   * The same translator for another tokenizer (e.g. one trained on new pairs). The token embedding
   * and the output layer are vocabulary-sized, so they are re-initialised for the new vocabulary;
   * every other weight (positions, encoder and decoder blocks, norms) is kept. The caller disposes
   * this translator when done.
   */
  withTokenizer(tokenizer: TranslatorTokenizer): Translator {
    const config: TranslatorConfig = { ...this.config, ...tokenizerIds(tokenizer) };
    const models = buildTranslator(config);
    const kept = new Map(this.models.model.layers.map((l) => [l.name, l.getWeights()]));
    for (const layer of models.model.layers) {
      const old = kept.get(layer.name);
      if (!old || old.length === 0) continue;
      // Shapes differ only where the vocabulary size enters: those keep their new values.
      layer.setWeights(
        layer
          .getWeights()
          .map((w, i) =>
            old[i] && old[i].shape.length === w.shape.length && old[i].shape.every((d, k) => d === w.shape[k])
              ? old[i]
              : w,
          ),
      );
    }
    return new Translator(models, config, tokenizer);
  }

  dispose(): void {
    this.models.model.dispose();
  }
}
