import { Dropout } from '@attnzoo/attention';
import type { ImageSplit } from '@attnzoo/datasets';
import {
  type FromPretrainedOptions,
  type LoadedPreset,
  type PresetConfig,
  presetLoaderSlot,
} from '@attnzoo/hub';
import {
  accuracy,
  evaluate as evaluateModel,
  type TaskFitOptions,
  type TrainResult,
  taskTrainSettings,
  train,
} from '@attnzoo/train';
import * as tf from '@tensorflow/tfjs-core';
import {
  model as functionalModel,
  initializers,
  input,
  type LayersModel,
  layers,
} from '@tensorflow/tfjs-layers';
import { ViTBackbone } from './backbone';
import type { ViTBackboneConfig } from './config';
import { splitBatches } from './data-source';
import { type ImageInput, ImagePreprocessor, type ImagePreprocessorConfig } from './preprocessor';
import { FIT_DEFAULTS } from './presets';

export interface ImageClassifierConfig {
  backbone: ViTBackboneConfig;
  preprocessor: ImagePreprocessorConfig;
  numClasses: number;
  /** Label of each class index (default: the index as a string). */
  classNames?: string[];
  /** Dropout on the pooled features before the head. */
  headDropout?: number;
}

export interface Prediction {
  /** Class name of the most probable class. */
  label: string;
  index: number;
  probability: number;
  /** Softmax over all classes. */
  probabilities: number[];
  /** The `topK` most probable classes, best first. */
  top: { label: string; index: number; probability: number }[];
  /** Why this prediction deserves less trust (a tiny or far-from-square image), when it does. */
  warning?: string;
}

/** `fit`'s options: the ones every task takes (`lr` a peak rate or a schedule), on image splits. */
export type FitOptions = TaskFitOptions<ImageSplit>;

/** The classifier's head layer name: `withNewHead` replaces exactly this layer. */
export const HEAD_LAYER = 'classifier_head';
const POOL_LAYER = 'vit_pool';

const presets = presetLoaderSlot();

/** Replaces the loader `ImageClassifier.fromPretrained` uses (`@attnzoo/vit/node` installs folders, packages, URLs). */
export const setPresetLoader = presets.set;

function buildModel(config: ImageClassifierConfig): LayersModel {
  const backbone = new ViTBackbone(config.backbone);
  const c = backbone.config;
  const images = input({ shape: [c.imageSize, c.imageSize, c.channels], name: 'images' });
  let features = backbone.apply(images);
  if (config.headDropout)
    features = new Dropout({ rate: config.headDropout, name: 'head_dropout' }).apply(features) as never;
  const logits = layers
    .dense({
      units: config.numClasses,
      name: HEAD_LAYER,
      kernelInitializer: initializers.glorotUniform({ seed: c.seed + 99 }),
    })
    .apply(features) as never;
  return functionalModel({ inputs: images, outputs: logits, name: `vit_${c.variant}` });
}

function checkConfig(config: ImageClassifierConfig): void {
  if (!Number.isInteger(config.numClasses) || config.numClasses < 2) {
    throw new Error(`ImageClassifier: numClasses must be an integer >= 2, got ${config.numClasses}.`);
  }
  if (config.classNames && config.classNames.length !== config.numClasses) {
    throw new Error(
      `ImageClassifier: ${config.classNames.length} class names given for ${config.numClasses} classes.`,
    );
  }
  const b = config.backbone;
  const p = config.preprocessor;
  if (b.imageSize !== p.imageSize || b.channels !== p.channels) {
    throw new Error(
      `ImageClassifier: the preprocessor makes ${p.imageSize}×${p.imageSize}×${p.channels} images but the backbone takes ` +
        `${b.imageSize}×${b.imageSize}×${b.channels}.`,
    );
  }
}

/**
 * Image classification task: a ViT backbone, a dense head over the pooled features, and the
 * preprocessor that feeds it. Loads from presets, predicts labels with probabilities, evaluates
 * on data sets and fine-tunes through @attnzoo/train (with a new head for another label set).
 */
export class ImageClassifier {
  static readonly className = 'attnzoo.vit.ImageClassifier';
  readonly preprocessor: ImagePreprocessor;
  readonly classNames: string[];

  constructor(
    readonly model: LayersModel,
    readonly config: ImageClassifierConfig,
    /** Metadata of the preset it was loaded from, if any. */
    readonly metadata?: LoadedPreset['metadata'],
  ) {
    checkConfig(config);
    this.preprocessor = new ImagePreprocessor(config.preprocessor);
    this.classNames = config.classNames ?? Array.from({ length: config.numClasses }, (_, i) => String(i));
    const out = model.outputs[0].shape;
    if (out[out.length - 1] !== config.numClasses) {
      throw new Error(
        `ImageClassifier: the model outputs ${out[out.length - 1]} classes, the config says ${config.numClasses}.`,
      );
    }
  }

  /** A new, randomly initialised classifier. */
  static create(config: ImageClassifierConfig): ImageClassifier {
    checkConfig(config);
    return new ImageClassifier(buildModel(config), config);
  }

  /** Wraps a loaded preset; a preset of another task is a clear error. */
  static fromPreset(preset: LoadedPreset): ImageClassifier {
    const task = preset.config.task;
    if (task?.className !== ImageClassifier.className) {
      preset.model.dispose();
      throw new Error(
        `${preset.source} is a preset for ${task?.className ?? 'an unknown task'}, not an image classifier ` +
          `(${ImageClassifier.className}): load it with the package that owns that task.`,
      );
    }
    const config = task.config as unknown as ImageClassifierConfig;
    return new ImageClassifier(preset.model, config, preset.metadata);
  }

  /**
   * Loads a preset by name, folder, file:// or https:// URL, or model-release package. In the
   * browser only URLs and registered names with a URL work; import `@attnzoo/vit/node` for the rest.
   */
  static async fromPretrained(source: string, options: FromPretrainedOptions = {}): Promise<ImageClassifier> {
    return ImageClassifier.fromPreset(await presets.load(source, options));
  }

  /** What config.json of a preset of this classifier holds (besides formatVersion). */
  presetConfig(): Omit<PresetConfig, 'formatVersion'> {
    return {
      task: {
        className: ImageClassifier.className,
        config: { ...this.config } as unknown as Record<string, unknown>,
      },
      backbone: {
        className: ViTBackbone.className,
        config: { ...this.config.backbone } as unknown as Record<string, unknown>,
      },
      preprocessor: {
        className: ImagePreprocessor.className,
        config: this.preprocessor.getConfig() as unknown as Record<string, unknown>,
      },
    };
  }

  /** Class probabilities of each image: PNG/JPEG bytes, raw pixels or 0–255 tensors. */
  async predict(
    images: ImageInput | ImageInput[] | tf.Tensor4D,
    options: { topK?: number } = {},
  ): Promise<Prediction[]> {
    const warnings: (string | undefined)[] = [];
    const x = await this.preprocessor.preprocess(images, warnings);
    const probs = tf.tidy(() => tf.softmax(this.model.predict(x) as tf.Tensor2D));
    x.dispose();
    const rows = (await probs.array()) as number[][];
    probs.dispose();
    const k = Math.max(1, Math.min(options.topK ?? 3, this.config.numClasses));
    return rows.map((p, i) => {
      const order = p.map((v, j) => [v, j] as const).sort((a, b) => b[0] - a[0]);
      const top = order
        .slice(0, k)
        .map(([probability, index]) => ({ label: this.classNames[index], index, probability }));
      const warning = warnings[i];
      return { ...top[0], probabilities: p, top, ...(warning ? { warning } : {}) };
    });
  }

  /** Loss and accuracy on a data set (official labels), in batches. */
  async evaluate(
    split: ImageSplit,
    options: {
      batchSize?: number;
      limit?: number;
      /** Progress: batches done and batches in all, after each batch. */
      onBatch?: (done: number, total: number | undefined) => void;
    } = {},
  ): Promise<{ loss: number; accuracy: number; count: number }> {
    const count = Math.min(split.count, options.limit ?? split.count);
    this.checkLabels(split);
    const source = splitBatches(split, this.preprocessor, {
      batchSize: options.batchSize ?? 256,
      limit: count,
    });
    const r = await evaluateModel(this.model, source, {
      metrics: [accuracy()],
      what: 'evaluation',
      onBatch: options.onBatch,
    });
    return { loss: r.loss, accuracy: r.accuracy, count };
  }

  private checkLabels(split: ImageSplit): void {
    // A text or pair split (or anything else) fails here, not later on its class count.
    const kind = (split as { kind?: unknown }).kind;
    if (kind !== 'images' || !(split.images instanceof Uint8Array)) {
      throw new Error(
        `An image classifier takes images (an ImageSplit of uint8 pixels), got ${kind === undefined ? 'an object without a kind' : `${String(kind)} data`}: ` +
          (kind === 'text'
            ? 'use a TextClassifier (@attnzoo/text-classifier) for texts.'
            : 'load images with loadImageData or loadLabelledImages.'),
      );
    }
    const names = split.classNames;
    if (names && names.length !== this.config.numClasses) {
      throw new Error(
        `The data set has ${names.length} classes but this classifier predicts ${this.config.numClasses}: ` +
          'use withNewHead(numClasses, classNames) to fine-tune for another label set.',
      );
    }
  }

  /**
   * A classifier for another label set: same backbone (sharing its layers and weights), a new,
   * randomly initialised head. Use it to fine-tune, then save it; this one should not be used after.
   */
  withNewHead(numClasses: number, classNames?: string[], seed = 0): ImageClassifier {
    const pooled = this.model.getLayer(POOL_LAYER).output as never;
    const head = layers.dense({
      units: numClasses,
      name: HEAD_LAYER,
      kernelInitializer: initializers.glorotUniform({ seed }),
    });
    const logits = head.apply(pooled) as never;
    const model = functionalModel({ inputs: this.model.inputs, outputs: logits, name: this.model.name });
    return new ImageClassifier(model, { ...this.config, numClasses, classNames });
  }

  /**
   * Trains (or fine-tunes) with @attnzoo/train: AdamW, warm-up + cosine schedule, gradient
   * clipping, label smoothing, augmentation from the preprocessor config, test evaluation at the end.
   */
  async fit(o: FitOptions): Promise<TrainResult> {
    this.checkLabels(o.train);
    const batchSize = o.batchSize ?? FIT_DEFAULTS.batchSize;
    const n = Math.min(o.train.count, o.trainLimit ?? o.train.count);
    const stepsPerEpoch = Math.ceil(n / batchSize);
    const totalSteps = stepsPerEpoch * o.epochs;
    return train({
      model: this.model,
      train: splitBatches(o.train, this.preprocessor, { batchSize, train: true, limit: n }),
      validation: o.validation
        ? splitBatches(o.validation, this.preprocessor, { batchSize: 256 })
        : undefined,
      test: o.test ? splitBatches(o.test, this.preprocessor, { batchSize: 256 }) : undefined,
      ...taskTrainSettings(o, FIT_DEFAULTS, totalSteps),
      metrics: [accuracy()],
    });
  }

  dispose(): void {
    this.model.dispose();
  }
}
