import {
  type FromPretrainedOptions,
  type LoadedPreset,
  type PresetConfig,
  presetLoaderSlot,
  setPresetWeights,
  TOKENIZER_FILE,
} from '@attnzoo/hub';
import { SentencePieceTokenizer, tokenizerIds } from '@attnzoo/tokenizer';
import {
  evaluate as evaluateModel,
  sequenceBatches,
  type TaskFitOptions,
  type TrainResult,
  taskTrainSettings,
  train,
} from '@attnzoo/train';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { buildCausalLM, type CausalLMConfig, checkConfig } from './backbone';
import { CausalLMPreprocessor, type CausalLMTokenizer, type EncodedTexts } from './preprocessor';
import { type ArchitectureConfig, FIT_DEFAULTS } from './presets';

/** config.json's task class of a language-model preset. */
export const PRESET_TASK_CLASS = 'attnzoo.causal-lm.CausalLM';

const presets = presetLoaderSlot();

/** Replaces the loader `CausalLM.fromPretrained` uses (`@attnzoo/causal-lm/node` installs folders, packages, URLs). */
export const setPresetLoader = presets.set;

/** `fit`'s options: the ones every task takes (`lr` a peak rate or a schedule), on texts or encoded texts. */
export type FitOptions = TaskFitOptions<readonly string[] | EncodedTexts>;

export interface EvaluateResult {
  /** Mean cross-entropy per predicted token (EOS included), in nats. */
  loss: number;
  perplexity: number;
  count: number;
}

export interface GenerateOptions {
  /** Tokens generated at most after the prompt (default: up to the model's length). */
  maxNewTokens?: number;
}

/**
 * A causal (decoder-only) language model: the backbone with its vocabulary head, its tokenizer
 * and preprocessor. Trains on next-token prediction, reports perplexity, and continues prompts
 * greedily (`predict`).
 */
export class CausalLM {
  readonly preprocessor: CausalLMPreprocessor;

  constructor(
    readonly model: LayersModel,
    readonly config: CausalLMConfig,
    readonly tokenizer: CausalLMTokenizer,
    readonly metadata?: LoadedPreset['metadata'],
  ) {
    checkConfig(config);
    this.preprocessor = new CausalLMPreprocessor(tokenizer, config);
  }

  /** A fresh (untrained) model for `tokenizer` with the given architecture. */
  static create(tokenizer: CausalLMTokenizer, architecture: ArchitectureConfig): CausalLM {
    const config: CausalLMConfig = { ...architecture, ...tokenizerIds(tokenizer) };
    return new CausalLM(buildCausalLM(config), config, tokenizer);
  }

  /** Rebuilds a model from a loaded, verified preset (its config, weights and tokenizer.model). */
  static async fromPreset(preset: LoadedPreset): Promise<CausalLM> {
    const task = preset.config.task;
    if (!task || task.className !== PRESET_TASK_CLASS)
      throw new Error(
        `${preset.source} is not a language-model preset (config.json task is ${task?.className ?? 'missing'}, expected ${PRESET_TASK_CLASS}).`,
      );
    const bytes = preset.files[TOKENIZER_FILE];
    if (!bytes)
      throw new Error(
        `${preset.source} has no ${TOKENIZER_FILE}: a language-model preset ships its tokenizer.`,
      );
    const config = checkConfig(task.config as unknown as CausalLMConfig);
    const tokenizer = await SentencePieceTokenizer.fromBytes(bytes, `${TOKENIZER_FILE} of ${preset.source}`);
    const model = buildCausalLM(config);
    try {
      await setPresetWeights(model, preset.files, preset.source);
    } finally {
      preset.model.dispose();
    }
    return new CausalLM(model, config, tokenizer, preset.metadata);
  }

  /** Loads a preset (a registered name or URL; folders and packages through the Node entry) and verifies it. */
  static async fromPretrained(source: string, options: FromPretrainedOptions = {}): Promise<CausalLM> {
    return CausalLM.fromPreset(await presets.load(source, options));
  }

  presetConfig(): Omit<PresetConfig, 'formatVersion'> {
    return { task: { className: PRESET_TASK_CLASS, config: { ...this.config } as Record<string, unknown> } };
  }

  private encoded(d: readonly string[] | EncodedTexts): EncodedTexts {
    return 'inputs' in d ? d : this.preprocessor.encode(d as readonly string[]);
  }

  private batches(e: EncodedTexts, batchSize: number, shuffle: boolean) {
    const m = (data: Int32Array) => ({ data, rows: e.count, columns: e.length });
    return sequenceBatches([m(e.inputs)], m(e.labels), {
      batchSize,
      padId: this.config.padId,
      shuffle,
      labelsLike: 0,
      widthMultiple: tf.getBackend() === 'webgpu' ? 8 : 1,
    });
  }

  /** Next-token training with @attnzoo/train: AdamW, warm-up + cosine (or the given schedule), clipping; pads ignored. */
  async fit(o: FitOptions): Promise<TrainResult> {
    let tr = this.encoded(o.train);
    if (o.trainLimit && o.trainLimit < tr.count) {
      const n = o.trainLimit * tr.length;
      tr = { ...tr, count: o.trainLimit, inputs: tr.inputs.slice(0, n), labels: tr.labels.slice(0, n) };
    }
    const batchSize = o.batchSize ?? FIT_DEFAULTS.batchSize;
    const totalSteps = Math.ceil(tr.count / batchSize) * o.epochs;
    return train({
      model: this.model,
      train: this.batches(tr, batchSize, true),
      validation: o.validation ? this.batches(this.encoded(o.validation), 256, false) : undefined,
      test: o.test ? this.batches(this.encoded(o.test), 256, false) : undefined,
      ...taskTrainSettings(o, FIT_DEFAULTS, totalSteps),
      numClasses: this.config.vocabularySize,
      fromLogits: true,
      ignoreIndex: this.config.padId,
      validateLabels: false,
      trainMetrics: false,
    });
  }

  /** Cross-entropy per token and perplexity on texts (teacher forcing). */
  async evaluate(texts: readonly string[] | EncodedTexts): Promise<EvaluateResult> {
    const e = this.encoded(texts);
    const r = await evaluateModel(this.model, this.batches(e, 256, false), {
      numClasses: this.config.vocabularySize,
      fromLogits: true,
      ignoreIndex: this.config.padId,
      validateLabels: false,
    });
    return { loss: r.loss, perplexity: Math.exp(r.loss), count: e.count };
  }

  /** Continues each prompt greedily until EOS or `maxNewTokens` (full recomputation per token). */
  async predict(prompts: readonly string[], options: GenerateOptions = {}): Promise<string[]> {
    const out: string[] = [];
    for (const prompt of prompts) {
      const ids = this.preprocessor.encodePrompt(prompt);
      const start = ids.length;
      const limit = Math.min(this.config.maxLength, start + (options.maxNewTokens ?? this.config.maxLength));
      while (ids.length < limit) {
        const next = tf.tidy(() => {
          const logits = this.model.predict(tf.tensor2d([ids], [1, ids.length], 'int32')) as tf.Tensor;
          return tf.argMax(tf.slice(logits, [0, ids.length - 1, 0], [1, 1, -1]), -1);
        });
        const id = (await next.data())[0];
        next.dispose();
        if (id === this.config.eosId) break;
        ids.push(id);
      }
      out.push(this.preprocessor.decode(ids.slice(start)));
    }
    return out;
  }

  dispose(): void {
    this.model.dispose();
  }
}
