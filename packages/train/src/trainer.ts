import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import {
  assertSameSignature,
  type Checkpoint,
  type CheckpointStore,
  type EpochLogs,
  type ModelSignature,
  modelSignature,
  type NamedArray,
  type TrainState,
} from './checkpoint';
import type { Batch, BatchSource } from './data';
import { eventLoopYielder } from './event-loop';
import { type LossFn, sparseCrossEntropy } from './loss';
import type { Metric, MetricContext } from './metrics';
import { AdamW, type AdamWOptions } from './optimizer';
import { Rng, withSeededRandom } from './rng';
import { constantLr, type LrSchedule } from './schedule';
import { StepReplayer, type StepReplayReport, stepReplayEnabled } from './step-replay';

export interface OptimizerConfig extends AdamWOptions {
  /** 'adamw' (default, weightDecay 0.01 unless given) or 'adam' (no weight decay). */
  type?: 'adam' | 'adamw';
}

export interface EarlyStoppingConfig {
  /** Epochs without improvement of the monitored value before stopping. */
  patience: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Put the best epoch's weights back when stopping (default true). */
  restoreBestWeights?: boolean;
}

export interface TrainInfo {
  epochs: number;
  startEpoch: number;
  step: number;
  monitor: string;
  resumed: boolean;
}

export interface BatchLogs {
  epoch: number;
  /** 0-based batch index within the epoch. */
  batch: number;
  /** Optimizer steps completed, this one included. */
  step: number;
  /** Batches in this epoch, when known. */
  batches?: number;
  loss: number;
  lr: number;
  /** Examples seen so far in this epoch. */
  examples: number;
  /** Seconds since the epoch began. */
  seconds: number;
  /** Running averages of the training metrics this epoch. */
  metrics: Record<string, number>;
}

export interface Callback {
  onTrainBegin?(info: TrainInfo): void | Promise<void>;
  onEpochBegin?(epoch: number, info: { batches?: number; epochs: number }): void | Promise<void>;
  onBatchEnd?(logs: BatchLogs): void | Promise<void>;
  onEpochEnd?(logs: EpochLogs): void | Promise<void>;
  onTrainEnd?(result: TrainResult): void | Promise<void>;
}

export interface TrainOptions {
  model: LayersModel;
  train: BatchSource;
  validation?: BatchSource;
  test?: BatchSource;
  epochs: number;
  /** Seed of the trainer's RNG (shuffling, dropout). Default 0. */
  seed?: number;
  /** Classes of the output; default: the last dimension of the model's output. */
  numClasses?: number;
  /** Whether the model outputs logits; default: true unless its last layer has a softmax activation. */
  fromLogits?: boolean;
  optimizer?: OptimizerConfig;
  /** Learning rate or schedule (per optimizer step). Default 1e-3. */
  lr?: number | LrSchedule;
  /** Clip gradients to this global L2 norm. */
  clipNorm?: number;
  labelSmoothing?: number;
  /** Label value left out of loss and metrics (padding of sequence targets). */
  ignoreIndex?: number;
  /** Replaces the default sparse cross-entropy. */
  loss?: LossFn;
  /** Metrics, computed on training batches and on validation and test data. */
  metrics?: Metric[];
  /** Compute metrics on training batches too (default true). */
  trainMetrics?: boolean;
  callbacks?: Callback[];
  /** Where to write the `last` checkpoint each epoch and the `best` one when the monitored value improves. */
  checkpoints?: CheckpointStore;
  /** Continue from the `last` checkpoint in `checkpoints`, if there is one. */
  resume?: boolean;
  /** Value to monitor for `best` and early stopping; default 'val_loss' with validation data, else 'loss'. */
  monitor?: string;
  /** Default: 'min' for names containing 'loss', else 'max' (or the metric's higherIsBetter). */
  mode?: 'min' | 'max';
  earlyStopping?: EarlyStoppingConfig;
  /**
   * Feed tf's unseeded random ops (dropout) from the trainer's RNG by replacing Math.random during the
   * forward pass, so that runs are reproducible. Default true.
   */
  seedRandomOps?: boolean;
  /** Check every label against [0, numClasses) (reads labels to the CPU). Default true. */
  validateLabels?: boolean;
  /**
   * On webgpu, capture a step per batch shape and replay it (one command buffer per half-step, no
   * JavaScript per op) once two captures agree. Default true; `ATTNZOO_STEP_REPLAY=0` turns it off.
   * Shapes whose steps cannot be replayed run op by op (TrainResult.stepReplay says why).
   */
  stepReplay?: boolean | { maxPlans?: number };
}

export interface TrainResult {
  history: EpochLogs[];
  /** Loss and metrics on the test source, when given. */
  test?: Record<string, number>;
  /** Epochs completed (including those before a resume). */
  epochs: number;
  step: number;
  stoppedEarly: boolean;
  /** Best monitored value and its epoch (-1 when none). */
  best: { monitor: string; value: number | null; epoch: number };
  /** On webgpu with step replay on: steps replayed and run op by op, and why shapes fell back. */
  stepReplay?: StepReplayReport;
}

/** Thrown when the loss becomes NaN or infinite; the faulty update is not applied. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly value: number,
    readonly epoch: number,
    readonly batch: number,
    readonly step: number,
    readonly lastCheckpointEpoch: number | null,
  ) {
    super(
      `loss became ${value} at epoch ${epoch} batch ${batch} (optimizer step ${step + 1}); training stopped without applying that update. ` +
        (lastCheckpointEpoch === null
          ? 'No checkpoint was written yet. '
          : `The last good checkpoint (after epoch ${lastCheckpointEpoch}) is kept. `) +
        'Fix: lower the learning rate or its warmup, set clipNorm, or check the inputs for NaN/Inf.',
    );
    this.name = 'NonFiniteLossError';
  }
}

type Inputs = tf.Tensor | tf.Tensor[];

function lastLayerIsSoftmax(model: LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  const config = last?.getConfig?.() as { activation?: unknown } | undefined;
  return config?.activation === 'softmax' || last?.getClassName() === 'Softmax';
}

function fmtShape(shape: (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'null' : d)).join(',')}]`;
}

function batchTensors(batch: Batch): tf.Tensor[] {
  const { xs } = batch;
  const list = xs instanceof tf.Tensor ? [xs] : Array.isArray(xs) ? xs : Object.values(xs);
  return [...list, batch.ys];
}

/** The batch's tensors by step-input name: x0, x1, ... in the model's input order, then y. */
function namedBatchInputs(batch: Batch): Record<string, tf.Tensor> {
  const list = batchTensors(batch);
  const named: Record<string, tf.Tensor> = {};
  list.slice(0, -1).forEach((t, i) => {
    named[`x${i}`] = t;
  });
  named.y = list[list.length - 1];
  return named;
}

/** Steps with batches of one shape and dtype share a captured step. */
function replayKey(named: Record<string, tf.Tensor>): string {
  return Object.values(named)
    .map((t) => `${t.dtype}[${t.shape.join(',')}]`)
    .join(' ');
}

function disposeBatch(batch: Batch): void {
  for (const t of batchTensors(batch)) if (!t.isDisposed) t.dispose();
}

/** Orders a batch's inputs as the model expects them and checks their shapes. */
function modelInputs(model: LayersModel, batch: Batch, check: boolean): Inputs {
  const { xs } = batch;
  let list: tf.Tensor[];
  if (xs instanceof tf.Tensor) list = [xs];
  else if (Array.isArray(xs)) list = xs;
  else {
    list = model.inputNames.map((name) => {
      const t = (xs as Record<string, tf.Tensor>)[name];
      if (!t) {
        throw new Error(
          `batch xs has no input '${name}' (it has ${Object.keys(xs).join(', ')}): name the inputs as the model does (${model.inputNames.join(', ')})`,
        );
      }
      return t;
    });
  }
  if (check) {
    if (list.length !== model.inputs.length) {
      throw new Error(
        `batch has ${list.length} input tensors but the model takes ${model.inputs.length}: give xs as one tensor per model input`,
      );
    }
    list.forEach((t, i) => {
      const want = model.inputs[i].shape;
      const ok = t.shape.length === want.length && want.every((d, j) => d === null || d === t.shape[j]);
      if (!ok) {
        throw new Error(
          `batch xs${list.length > 1 ? `[${i}]` : ''} shape ${fmtShape(t.shape)} does not match model input ${fmtShape(want)}: check the preprocessor's output size`,
        );
      }
    });
    const n = batch.ys.shape[0];
    for (const t of list) {
      if (t.shape[0] !== n) {
        throw new Error(
          `batch xs has ${t.shape[0]} examples but ys has ${n}: each batch needs as many labels as inputs`,
        );
      }
    }
  }
  return list.length === 1 ? list[0] : list;
}

function checkLabelShape(model: LayersModel, ys: tf.Tensor, numClasses: number): void {
  const out = model.outputs[0].shape;
  const want = out.slice(0, -1);
  const ok = ys.shape.length === want.length && want.every((d, j) => d === null || d === ys.shape[j]);
  if (!ok) {
    throw new Error(
      `batch ys shape ${fmtShape(ys.shape)} does not match model output ${fmtShape(out)}: labels must be integer class ids shaped like the output without its last (class) dimension, ${fmtShape(want)}`,
    );
  }
  const last = out[out.length - 1];
  if (last !== null && last !== numClasses) {
    throw new Error(`numClasses is ${numClasses} but the model outputs ${last} classes: make them agree`);
  }
}

async function checkLabelValues(
  ys: tf.Tensor,
  numClasses: number,
  ignoreIndex: number | undefined,
): Promise<void> {
  const values = await ys.data();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === ignoreIndex) continue;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new Error(
        `label ${v} at position ${i} of the batch is outside [0, ${numClasses})${ignoreIndex !== undefined ? ` and is not the ignore index ${ignoreIndex}` : ''}: the model has ${numClasses} classes; check the label encoding or numClasses`,
      );
    }
  }
}

async function* iterate(it: Iterable<Batch> | AsyncIterable<Batch>): AsyncGenerator<Batch> {
  yield* it as AsyncIterable<Batch>;
}

async function readWeights(model: LayersModel): Promise<NamedArray[]> {
  return Promise.all(
    model.weights.map(async (w) => {
      const t = w.read();
      const data = (await t.data()) as Float32Array | Int32Array;
      return {
        name: w.originalName ?? w.name,
        shape: [...t.shape],
        dtype: t.dtype as 'float32' | 'int32',
        data: data.slice(),
      };
    }),
  );
}

function writeWeights(model: LayersModel, weights: NamedArray[]): void {
  assertSameSignature(
    {
      layers: model.layers.map((l) => l.getClassName()),
      weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: w.dtype })),
    },
    modelSignature(model),
    'saved weights',
  );
  tf.tidy(() => {
    model.weights.forEach((w, i) => {
      w.write(tf.tensor(weights[i].data, weights[i].shape, weights[i].dtype));
    });
  });
}

/** Restores `model`'s weights from a checkpoint (e.g. the `best` one), checking it fits the model. */
export function loadCheckpointWeights(model: LayersModel, checkpoint: Checkpoint): void {
  assertSameSignature(checkpoint.state.signature, modelSignature(model));
  writeWeights(model, checkpoint.weights);
}

/**
 * Trains `opts.model` with its own loop: AdamW/Adam, a learning-rate schedule, gradient clipping,
 * label smoothing, metrics, validation every epoch, a test evaluation at the end, checkpoints,
 * resume and early stopping. Same seed + same backend = same weights.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { model, epochs } = opts;
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new Error(`epochs must be an integer >= 1, got ${epochs}`);
  if (!model.outputs || model.outputs.length !== 1) {
    throw new Error(
      `the model has ${model.outputs?.length ?? 0} outputs; the trainer supports models with one output`,
    );
  }
  const seed = opts.seed ?? 0;
  const outLast = model.outputs[0].shape[model.outputs[0].shape.length - 1];
  const numClassesOrNull = opts.numClasses ?? outLast;
  if (typeof numClassesOrNull !== 'number' || !Number.isInteger(numClassesOrNull) || numClassesOrNull < 1) {
    throw new Error(`cannot tell the number of classes from the model output; pass numClasses`);
  }
  const numClasses: number = numClassesOrNull;
  const fromLogits = opts.fromLogits ?? !lastLayerIsSoftmax(model);
  const ignoreIndex = opts.ignoreIndex;
  const labelSmoothing = opts.labelSmoothing ?? 0;
  const customLoss = opts.loss !== undefined;
  const lossFn: LossFn =
    opts.loss ??
    ((pred, labels) =>
      sparseCrossEntropy(pred, labels, { numClasses, fromLogits, labelSmoothing, ignoreIndex }));
  const schedule: LrSchedule = typeof opts.lr === 'function' ? opts.lr : constantLr(opts.lr ?? 1e-3);
  if (opts.clipNorm !== undefined && !(opts.clipNorm > 0)) {
    throw new Error(`clipNorm must be > 0, got ${opts.clipNorm}`);
  }
  const metrics = opts.metrics ?? [];
  const trainMetrics = opts.trainMetrics ?? true;
  const callbacks = opts.callbacks ?? [];
  const seedRandomOps = opts.seedRandomOps ?? true;
  const validateLabels = opts.validateLabels ?? true;
  const monitor = opts.monitor ?? (opts.validation ? 'val_loss' : 'loss');
  const monitoredMetric = metrics.find((m) => monitor === m.name || monitor === `val_${m.name}`);
  const mode =
    opts.mode ??
    (monitor.includes('loss') ? 'min' : monitoredMetric?.higherIsBetter === false ? 'min' : 'max');
  const es = opts.earlyStopping;
  const ctx: MetricContext = { numClasses, ignoreIndex };

  const optConfig = opts.optimizer ?? {};
  const type = optConfig.type ?? 'adamw';
  const weightDecay = type === 'adam' ? 0 : (optConfig.weightDecay ?? 0.01);
  if (type === 'adam' && optConfig.weightDecay) {
    throw new Error(`optimizer 'adam' has no weight decay: use type 'adamw' for weightDecay`);
  }
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = new AdamW(trainable, { ...optConfig, weightDecay });
  const replayOpt = opts.stepReplay ?? true;
  const replayer =
    replayOpt !== false && stepReplayEnabled()
      ? new StepReplayer(typeof replayOpt === 'object' ? replayOpt.maxPlans : undefined)
      : undefined;

  const signature: ModelSignature = modelSignature(model);
  const rng = new Rng(seed);
  let startEpoch = 0;
  let step = 0;
  let best: TrainState['best'] = { value: null, epoch: -1 };
  let wait = 0;
  let history: EpochLogs[] = [];
  let bestWeights: NamedArray[] | null = null;
  let lastCheckpointEpoch: number | null = null;
  const store = opts.checkpoints;
  let resumed = false;

  let claimed = false;
  try {
    await store?.acquire?.();
    claimed = true;
    if (opts.resume) {
      if (!store) throw new Error('resume needs a checkpoint store: pass checkpoints');
      const last = await store.load('last');
      if (last) {
        assertSameSignature(last.state.signature, signature);
        writeWeights(model, last.weights);
        optimizer.setState(last.optimizer);
        rng.setState(last.state.rng);
        startEpoch = last.state.epoch;
        step = last.state.step;
        best = last.state.best;
        wait = last.state.wait;
        history = last.state.history;
        lastCheckpointEpoch = startEpoch - 1;
        resumed = true;
        if (es && (es.restoreBestWeights ?? true) && best.epoch >= 0) {
          const b = await store.load('best');
          if (b) bestWeights = b.weights;
        }
      }
    }

    const info: TrainInfo = { epochs, startEpoch, step, monitor, resumed };
    for (const cb of callbacks) await cb.onTrainBegin?.(info);

    let knownBatches = opts.train.batchesPerEpoch;
    let stoppedEarly = false;
    const improved = (v: number) => {
      if (best.value === null) return true;
      const d = es?.minDelta ?? 0;
      return mode === 'min' ? v < best.value - d : v > best.value + d;
    };
    const snapshot = async (): Promise<Checkpoint> => ({
      weights: await readWeights(model),
      optimizer: await optimizer.getState(),
      state: {
        epoch: 0,
        step,
        rng: rng.getState(),
        seed,
        monitor,
        best,
        wait,
        signature,
        history,
      },
    });

    const breathe = eventLoopYielder();
    for (let epoch = startEpoch; epoch < epochs && !stoppedEarly; epoch++) {
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, { batches: knownBatches, epochs });
      if (trainMetrics) for (const m of metrics) m.reset();
      const t0 = performance.now();
      let lossSum = 0;
      let batches = 0;
      let examples = 0;
      let lr = schedule(step);
      for await (const batch of iterate(opts.train({ epoch, rng }))) {
        let pred: tf.Tensor | undefined;
        try {
          const inputs = modelInputs(model, batch, true);
          if (!customLoss) checkLabelShape(model, batch.ys, numClasses);
          if (validateLabels && !customLoss) await checkLabelValues(batch.ys, numClasses, ignoreIndex);
          lr = schedule(step);
          if (!Number.isFinite(lr) || lr < 0)
            throw new Error(`the schedule gave learning rate ${lr} at step ${step}`);
          const wantPred = trainMetrics && metrics.length > 0;
          const named = namedBatchInputs(batch);
          const key = replayer ? replayKey(named) : undefined;
          const plan = key && replayer ? replayer.plan(key) : undefined;
          let lossValue: number;
          if (plan) {
            // The captured step again: new batch, learning rate and dropout seeds, no tfjs ops.
            const values = { ...named, ...optimizer.stepInputs(lr) };
            const prepare = () => plan.prepare(values);
            if (seedRandomOps) withSeededRandom(rng, prepare);
            else prepare();
            lossValue = (await plan.run(0, ['loss'])).loss[0];
            if (!Number.isFinite(lossValue)) {
              plan.cancel();
              throw new NonFiniteLossError(lossValue, epoch, batches, step, lastCheckpointEpoch);
            }
            for (let s = 1; s < plan.segmentCount; s++) await plan.run(s);
            optimizer.advance();
            if (wantPred) pred = plan.outputTensor('pred');
            (replayer as StepReplayer).report.replayed += 1;
          } else {
            let capture = key && replayer ? replayer.capture(key, named) : undefined;
            try {
              const f = () =>
                tf.variableGrads(() => {
                  const out = model.apply(inputs, { training: true }) as tf.Tensor;
                  if (wantPred) pred = tf.keep(out);
                  return lossFn(out, batch.ys);
                }, trainable);
              const { value, grads } = seedRandomOps ? withSeededRandom(rng, f) : f();
              const gradList = trainable.map((v) => grads[v.name]);
              try {
                // A replay submits the forward and backward passes, reads the loss, then the update.
                capture?.mark();
                lossValue = (await value.data())[0];
                if (!Number.isFinite(lossValue)) {
                  throw new NonFiniteLossError(lossValue, epoch, batches, step, lastCheckpointEpoch);
                }
                const missing = trainable.findIndex((_, i) => !gradList[i]);
                if (missing >= 0) throw new Error(`no gradient for weight '${trainable[missing].name}'`);
                optimizer.apply(gradList, lr, { clipNorm: opts.clipNorm });
                if (capture && key && replayer) {
                  const outputs: Record<string, tf.Tensor> = { loss: value };
                  if (pred) outputs.pred = pred;
                  replayer.captured(key, capture.finish(outputs));
                  capture = undefined;
                }
              } finally {
                value.dispose();
                tf.dispose(grads);
              }
            } finally {
              capture?.abort();
            }
            if (replayer) replayer.report.eager += 1;
          }
          {
            step += 1;
            lossSum += lossValue;
            batches += 1;
            examples += batch.ys.shape[0];
            if (pred) for (const m of metrics) await m.update(pred, batch.ys, ctx);
            const metricValues = Object.fromEntries(metrics.map((m) => [m.name, m.result()]));
            const logs: BatchLogs = {
              epoch,
              batch: batches - 1,
              step,
              batches: knownBatches,
              loss: lossValue,
              lr,
              examples,
              seconds: (performance.now() - t0) / 1000,
              metrics: trainMetrics ? metricValues : {},
            };
            for (const cb of callbacks) await cb.onBatchEnd?.(logs);
            await breathe();
          }
        } finally {
          (pred as tf.Tensor | undefined)?.dispose();
          disposeBatch(batch);
        }
      }
      if (batches === 0) {
        throw new Error(
          `the training data source yielded no batches in epoch ${epoch}: check that the dataset is not empty and the batch size is not larger than it with dropRemainder`,
        );
      }
      knownBatches = batches;
      const seconds = (performance.now() - t0) / 1000;
      const logs: EpochLogs = {
        epoch,
        step,
        loss: lossSum / batches,
        lr,
        seconds,
        examplesPerSecond: examples / Math.max(seconds, 1e-9),
      };
      if (trainMetrics) for (const m of metrics) logs[m.name] = m.result();
      if (opts.validation) {
        const v = await evaluateSource(opts.validation, 'validation', epoch);
        for (const [k, x] of Object.entries(v)) logs[`val_${k}`] = x;
      }
      const current = logs[monitor];
      if (current === undefined) {
        throw new Error(
          `monitored value '${monitor}' is not among the epoch logs (${Object.keys(logs).join(', ')}): pick one of them`,
        );
      }
      history = [...history, logs];
      let isBest = false;
      if (improved(current)) {
        best = { value: current, epoch };
        wait = 0;
        isBest = true;
      } else {
        wait += 1;
      }
      const keepBest = es && (es.restoreBestWeights ?? true);
      if (store || (isBest && keepBest)) {
        const ckpt = await snapshot();
        ckpt.state.epoch = epoch + 1;
        if (isBest && keepBest) bestWeights = ckpt.weights;
        if (store) {
          if (isBest) await store.save('best', ckpt);
          await store.save('last', ckpt);
          lastCheckpointEpoch = epoch;
        }
      }
      for (const cb of callbacks) await cb.onEpochEnd?.(logs);
      if (es && wait >= es.patience) {
        stoppedEarly = true;
        if (keepBest && bestWeights) writeWeights(model, bestWeights);
      }
    }

    const result: TrainResult = {
      history,
      epochs: history.length,
      step,
      stoppedEarly,
      best: { monitor, ...best },
    };
    if (replayer) result.stepReplay = replayer.report;
    if (opts.test) result.test = await evaluateSource(opts.test, 'test', epochs);
    for (const cb of callbacks) await cb.onTrainEnd?.(result);
    return result;
  } finally {
    replayer?.dispose();
    optimizer.dispose();
    if (claimed) await store?.release?.();
  }

  async function evaluateSource(
    source: BatchSource,
    what: string,
    epoch: number,
  ): Promise<Record<string, number>> {
    return evaluate(model, source, {
      numClasses,
      fromLogits,
      ignoreIndex,
      loss: opts.loss,
      metrics,
      validateLabels,
      what,
      rng: new Rng((seed ^ 0x5bd1e995) + epoch),
    });
  }
}

export interface EvaluateOptions {
  numClasses?: number;
  fromLogits?: boolean;
  ignoreIndex?: number;
  loss?: LossFn;
  metrics?: Metric[];
  validateLabels?: boolean;
  /** Name used in error messages. */
  what?: string;
  rng?: Rng;
  /** Called after each batch with the batches done and the source's `batchesPerEpoch` (progress). */
  onBatch?: (done: number, total: number | undefined) => void;
}

/**
 * Loss (without label smoothing) and metrics of `model` over all batches of `source`, weighted by
 * the number of labelled positions. Disposes the batches.
 */
export async function evaluate(
  model: LayersModel,
  source: BatchSource,
  opts: EvaluateOptions = {},
): Promise<Record<string, number>> {
  const numClasses = opts.numClasses ?? model.outputs[0].shape[model.outputs[0].shape.length - 1];
  if (typeof numClasses !== 'number')
    throw new Error('cannot tell the number of classes from the model output; pass numClasses');
  const fromLogits = opts.fromLogits ?? !lastLayerIsSoftmax(model);
  const { ignoreIndex } = opts;
  const metrics = opts.metrics ?? [];
  const what = opts.what ?? 'evaluation';
  const lossFn: LossFn =
    opts.loss ??
    ((pred, labels) => sparseCrossEntropy(pred, labels, { numClasses, fromLogits, ignoreIndex }));
  for (const m of metrics) m.reset();
  let weighted = 0;
  let count = 0;
  let batches = 0;
  const ctx: MetricContext = { numClasses, ignoreIndex };
  const breathe = eventLoopYielder();
  for await (const batch of iterate(source({ epoch: 0, rng: opts.rng ?? new Rng(0) }))) {
    await breathe();
    try {
      const inputs = modelInputs(model, batch, true);
      if (!opts.loss) checkLabelShape(model, batch.ys, numClasses);
      let n = batch.ys.size;
      if (!opts.loss && (opts.validateLabels ?? true))
        await checkLabelValues(batch.ys, numClasses, ignoreIndex);
      if (ignoreIndex !== undefined) {
        const ys = await batch.ys.data();
        n = 0;
        for (let i = 0; i < ys.length; i++) if (ys[i] !== ignoreIndex) n++;
      }
      const pred = tf.tidy(() => model.apply(inputs, { training: false }) as tf.Tensor);
      try {
        const l = lossFn(pred, batch.ys);
        const lv = (await l.data())[0];
        l.dispose();
        weighted += lv * n;
        count += n;
        for (const m of metrics) await m.update(pred, batch.ys, ctx);
      } finally {
        pred.dispose();
      }
      batches += 1;
    } finally {
      disposeBatch(batch);
    }
    opts.onBatch?.(batches, source.batchesPerEpoch);
  }
  if (batches === 0) {
    throw new Error(`the ${what} data source yielded no batches: check that the ${what} set is not empty`);
  }
  const out: Record<string, number> = { loss: count === 0 ? 0 : weighted / count };
  for (const m of metrics) out[m.name] = m.result();
  return out;
}
