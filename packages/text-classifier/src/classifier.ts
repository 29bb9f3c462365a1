import { type AttentionVariant, Dropout, modelCost } from '@attnzoo/attention';
import type { TextSplit } from '@attnzoo/datasets';
import {
  type FromPretrainedOptions,
  type LoadedPreset,
  type PresetConfig,
  presetLoaderSlot,
  sha256Hex,
  TOKENIZER_FILE,
} from '@attnzoo/hub';
import { SentencePieceTokenizer, TokenizerError } from '@attnzoo/tokenizer';
import {
  accuracy,
  type EarlyStoppingConfig,
  evaluate as evaluateModel,
  loadCheckpointWeights,
  MemoryCheckpointStore,
  type TaskFitOptions,
  type TrainResult,
  taskTrainSettings,
  train,
} from '@attnzoo/train';
import * as tf from '@tensorflow/tfjs-core';
import {
  model as functionalModel,
  initializers,
  type LayersModel,
  layers,
  type SymbolicTensor,
} from '@tensorflow/tfjs-layers';
import { buildTextClassifierModel, HEAD_LAYER, POOL_LAYER } from './backbone';
import {
  type TextClassifierConfig,
  type TextClassifierOptions,
  textClassifierConfig,
  validateConfig,
} from './config';
import { type EncodedTexts, encodedBatches, spreadLimit } from './data';
import { TextPreprocessor } from './preprocessor';
import { FIT_DEFAULTS } from './presets';

export interface Prediction {
  label: string;
  index: number;
  probability: number;
  probabilities: number[];
  /** SentencePiece ids of the cleaned text (bos included), before truncation. */
  tokens: number;
  /** The text was longer than maxLength and was cut (per the truncation policy). */
  truncated: boolean;
  /** The cleaned text was empty: the prediction then comes from the biases alone. */
  empty: boolean;
}

/** `fit`'s options: the ones every task takes (`lr` a peak rate or a schedule), plus early stopping. */
export interface FitOptions extends TaskFitOptions<TextSplit | EncodedTexts> {
  earlyStopping?: EarlyStoppingConfig;
  /** Value that picks the best epoch (default the trainer's: val_loss with validation data). */
  monitor?: string;
  /** End with the weights of the best epoch by `monitor`, also when no early stop happened; `checkpoints` holds it when given. */
  keepBest?: boolean;
}

const presets = presetLoaderSlot();

/** Replaces the loader `TextClassifier.fromPretrained` uses (`@attnzoo/text-classifier/node` installs folders, packages, URLs). */
export const setPresetLoader = presets.set;

function isEncoded(d: TextSplit | EncodedTexts): d is EncodedTexts {
  return (d as EncodedTexts).maxLength !== undefined && (d as TextSplit).kind !== 'text';
}

/**
 * Text classification task: a Transformer encoder over SentencePiece ids (SDPA, Optimised,
 * Efficient or Super attention), pooled into a dense head, with the preprocessor and tokenizer
 * that feed it. Loads from presets, predicts labels with probabilities, evaluates, fine-tunes.
 */
export class TextClassifier {
  static readonly className = 'attnzoo.text-classifier.TextClassifier';
  readonly preprocessor: TextPreprocessor;

  constructor(
    readonly model: LayersModel,
    readonly config: TextClassifierConfig,
    readonly tokenizer: SentencePieceTokenizer,
    readonly metadata?: LoadedPreset['metadata'],
  ) {
    validateConfig(config);
    checkTokenizer(config, tokenizer);
    this.preprocessor = new TextPreprocessor(tokenizer, config.preprocessor);
    const out = model.outputs[0].shape;
    if (out[out.length - 1] !== config.numClasses) {
      throw new Error(
        `TextClassifier: the model outputs ${out[out.length - 1]} classes, the config says ${config.numClasses}.`,
      );
    }
    const inShape = model.inputs[0].shape;
    if (inShape[1] !== config.maxLength) {
      throw new Error(
        `TextClassifier: the model takes ${inShape[1]} tokens, the config says ${config.maxLength}.`,
      );
    }
  }

  /** A new, randomly initialised classifier for `tokenizer` (vocabulary size and pad id come from it). */
  static async create(
    options: Omit<TextClassifierOptions, 'vocabularySize' | 'padId'>,
    tokenizer: SentencePieceTokenizer,
  ): Promise<TextClassifier> {
    const config = textClassifierConfig({
      ...options,
      vocabularySize: tokenizer.vocabularySize,
      padId: tokenizer.padId,
      tokenizerSha256: await sha256Hex(tokenizer.bytes),
    });
    return new TextClassifier(buildTextClassifierModel(config), config, tokenizer);
  }

  /**
   * Wraps a loaded preset: its tokenizer.model is loaded and checked against the model
   * (vocabulary size, pad id, sha256). A preset of another task, or without a tokenizer, is an error.
   */
  static async fromPreset(
    preset: LoadedPreset,
    options: { tokenizer?: SentencePieceTokenizer } = {},
  ): Promise<TextClassifier> {
    const task = preset.config.task;
    if (task?.className !== TextClassifier.className) {
      preset.model.dispose();
      throw new Error(
        `${preset.source} is a preset for ${task?.className ?? 'an unknown task'}, not a text classifier ` +
          `(${TextClassifier.className}): load it with the package that owns that task.`,
      );
    }
    const config = task.config as unknown as TextClassifierConfig;
    let tokenizer = options.tokenizer;
    if (!tokenizer) {
      const bytes = preset.files[TOKENIZER_FILE];
      if (!bytes) {
        preset.model.dispose();
        throw new TokenizerError(
          'MISMATCH',
          `${preset.source} has no ${TOKENIZER_FILE}: a text classifier preset ships its SentencePiece model`,
        );
      }
      try {
        tokenizer = await SentencePieceTokenizer.fromBytes(bytes, `${TOKENIZER_FILE} of ${preset.source}`);
      } catch (error) {
        preset.model.dispose();
        throw error;
      }
    }
    if (config.tokenizerSha256 && (await sha256Hex(tokenizer.bytes)) !== config.tokenizerSha256) {
      preset.model.dispose();
      throw new TokenizerError(
        'MISMATCH',
        `the tokenizer given to ${preset.source} is not the one its embeddings were trained with (sha256 differs); ` +
          "use the preset's own tokenizer.model, or fine-tune a model created for the new tokenizer",
      );
    }
    try {
      return new TextClassifier(preset.model, config, tokenizer, preset.metadata);
    } catch (e) {
      preset.model.dispose();
      throw e;
    }
  }

  /** Loads a preset by name, folder, URL or model-release package (import `@attnzoo/text-classifier/node` in Node for folders and packages). */
  static async fromPretrained(
    source: string,
    options: FromPretrainedOptions & { tokenizer?: SentencePieceTokenizer } = {},
  ): Promise<TextClassifier> {
    return TextClassifier.fromPreset(await presets.load(source, options), { tokenizer: options.tokenizer });
  }

  get variant(): AttentionVariant {
    return this.config.variant;
  }
  get classNames(): string[] {
    return this.config.classNames;
  }

  /** What config.json of a preset of this classifier holds (besides formatVersion). */
  presetConfig(): Omit<PresetConfig, 'formatVersion'> {
    return {
      task: {
        className: TextClassifier.className,
        config: { ...this.config } as unknown as Record<string, unknown>,
      },
      preprocessor: {
        className: TextPreprocessor.className,
        config: this.preprocessor.getConfig() as unknown as Record<string, unknown>,
      },
    };
  }

  /** Parameter counts: total and inside attention layers. */
  parameters(): { total: number; attention: number } {
    const c = modelCost(this.model);
    return { total: c.totalParameters, attention: c.attentionParameters };
  }

  /** Ids and labels of a text split (labels checked against this classifier's classes). */
  encode(split: TextSplit): EncodedTexts {
    this.checkClasses(split.classNames);
    const b = this.preprocessor.encode(split.texts);
    return { ids: b.ids, labels: split.labels, count: b.count, maxLength: b.maxLength };
  }

  /** Labels and class probabilities for each text, computed in batches. */
  async predict(
    texts: string | readonly string[],
    options: { batchSize?: number } = {},
  ): Promise<Prediction[]> {
    const list = typeof texts === 'string' ? [texts] : texts;
    if (!Array.isArray(list)) throw new TypeError('predict expects a string or an array of strings');
    const batchSize = options.batchSize ?? 128;
    const out: Prediction[] = [];
    for (let start = 0; start < list.length; start += batchSize) {
      const chunk = list.slice(start, start + batchSize);
      const enc = this.preprocessor.encode(chunk);
      const x = tf.tensor2d(enc.ids, [enc.count, enc.maxLength], 'int32');
      const probs = tf.tidy(() => tf.softmax(this.model.predict(x) as tf.Tensor2D));
      x.dispose();
      const rows = (await probs.array()) as number[][];
      probs.dispose();
      const bos = this.config.preprocessor.addBos ? 1 : 0;
      rows.forEach((p, i) => {
        let index = 0;
        for (let k = 1; k < p.length; k++) if (p[k] > p[index]) index = k;
        out.push({
          label: this.config.classNames[index],
          index,
          probability: p[index],
          probabilities: p,
          tokens: enc.fullLengths[i],
          truncated: enc.fullLengths[i] > enc.maxLength,
          empty: enc.fullLengths[i] === bos,
        });
      });
    }
    return out;
  }

  /** Loss and accuracy on a text split or pre-encoded ids (`limit`: that many rows spread over the data). */
  async evaluate(
    data: TextSplit | EncodedTexts,
    options: { batchSize?: number; limit?: number } = {},
  ): Promise<{ loss: number; accuracy: number; count: number }> {
    const enc = spreadLimit(
      isEncoded(data) ? data : this.encode(this.limitSplit(data, options.limit)),
      options.limit,
    );
    this.checkEncoded(enc);
    const r = await evaluateModel(this.model, encodedBatches(enc, { batchSize: options.batchSize ?? 256 }), {
      metrics: [accuracy()],
      what: 'evaluation',
    });
    return { loss: r.loss, accuracy: r.accuracy, count: enc.count };
  }

  private limitSplit(s: TextSplit, limit?: number): TextSplit {
    if (limit === undefined || limit >= s.texts.length) return s;
    const idx = Array.from({ length: limit }, (_, i) => Math.floor((i * s.texts.length) / limit));
    return { ...s, texts: idx.map((i) => s.texts[i]), labels: Int32Array.from(idx, (i) => s.labels[i]) };
  }

  private checkClasses(names?: readonly string[]): void {
    if (names && names.length !== this.config.numClasses) {
      throw new Error(
        `The data set has ${names.length} classes but this classifier predicts ${this.config.numClasses}: ` +
          'use withNewHead(numClasses, classNames) to fine-tune for another label set.',
      );
    }
  }

  private checkEncoded(d: EncodedTexts): void {
    if (d.maxLength !== this.config.maxLength) {
      throw new Error(
        `the data was encoded to ${d.maxLength} tokens but this classifier takes ${this.config.maxLength}`,
      );
    }
  }

  /** A classifier for another label set: the same encoder (shared layers and weights), a new head. */
  withNewHead(numClasses: number, classNames?: string[], seed = 0): TextClassifier {
    const pooled = this.model.getLayer(POOL_LAYER).output as SymbolicTensor;
    let h = pooled;
    if (this.config.dropout > 0) h = new Dropout({ rate: this.config.dropout }).apply(h) as SymbolicTensor;
    const logits = layers
      .dense({ units: numClasses, name: HEAD_LAYER, kernelInitializer: initializers.glorotUniform({ seed }) })
      .apply(h) as SymbolicTensor;
    const model = functionalModel({ inputs: this.model.inputs, outputs: logits, name: this.model.name });
    const names = classNames ?? Array.from({ length: numClasses }, (_, i) => String(i));
    return new TextClassifier(model, { ...this.config, numClasses, classNames: names }, this.tokenizer);
  }

  /**
   * The same classifier for another tokenizer (e.g. one trained on new texts). The token embedding's
   * rows belong to the old vocabulary, so it is re-initialised for the new one; every other weight
   * (positions, encoder blocks, head) is kept. The caller disposes this classifier when done.
   */
  async withTokenizer(tokenizer: SentencePieceTokenizer): Promise<TextClassifier> {
    const config: TextClassifierConfig = {
      ...this.config,
      vocabularySize: tokenizer.vocabularySize,
      padId: tokenizer.padId,
      tokenizerSha256: await sha256Hex(tokenizer.bytes),
    };
    const model = buildTextClassifierModel(config);
    const kept = new Map(this.model.layers.map((l) => [l.name, l.getWeights()]));
    for (const layer of model.layers) {
      const old = kept.get(layer.name);
      if (!old || old.length === 0) continue;
      const fresh = layer.getWeights();
      // Shapes differ only where the vocabulary size enters: the token embedding keeps its new values.
      layer.setWeights(fresh.map((w, i) => (old[i] && sameShape(old[i].shape, w.shape) ? old[i] : w)));
    }
    return new TextClassifier(model, config, tokenizer);
  }

  /** Trains or fine-tunes with @attnzoo/train: AdamW, warm-up + cosine, clipping, test evaluation at the end. */
  async fit(o: FitOptions): Promise<TrainResult> {
    const enc = (d: TextSplit | EncodedTexts) => {
      const e = isEncoded(d) ? d : this.encode(d);
      this.checkEncoded(e);
      return e;
    };
    const tr = spreadLimit(enc(o.train), o.trainLimit);
    const batchSize = o.batchSize ?? FIT_DEFAULTS.batchSize;
    const totalSteps = Math.ceil(tr.count / batchSize) * o.epochs;
    const store = o.checkpoints ?? (o.keepBest ? new MemoryCheckpointStore() : undefined);
    const result = await train({
      model: this.model,
      train: encodedBatches(tr, { batchSize, shuffle: true }),
      validation: o.validation ? encodedBatches(enc(o.validation), { batchSize: 256 }) : undefined,
      test: o.test ? encodedBatches(enc(o.test), { batchSize: 256 }) : undefined,
      ...taskTrainSettings(o, FIT_DEFAULTS, totalSteps),
      metrics: [accuracy()],
      earlyStopping: o.earlyStopping,
      monitor: o.monitor,
      checkpoints: store,
    });
    const best = o.keepBest && store ? await store.load('best') : undefined;
    if (best) loadCheckpointWeights(this.model, best);
    return result;
  }

  dispose(): void {
    this.model.dispose();
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The model's embeddings only make sense with the tokenizer they were trained with. */
function checkTokenizer(config: TextClassifierConfig, tokenizer: SentencePieceTokenizer): void {
  if (tokenizer.vocabularySize !== config.vocabularySize) {
    throw new TokenizerError(
      'MISMATCH',
      `tokenizer/model mismatch: the tokenizer has ${tokenizer.vocabularySize} pieces but the model embeds ${config.vocabularySize}; ` +
        "load the preset's own tokenizer.model",
    );
  }
  if (tokenizer.padId !== config.padId) {
    throw new TokenizerError(
      'MISMATCH',
      `tokenizer/model mismatch: the tokenizer pads with id ${tokenizer.padId} but the model masks id ${config.padId}`,
    );
  }
}
