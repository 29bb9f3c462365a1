export { epochsWithinBudget, pauseAtTimeLimit, stepTimer, TrainingPaused } from './budget';
export { type ProgressOptions, progressBar } from './callbacks';
export {
  assertSameSignature,
  type Checkpoint,
  type CheckpointStore,
  type CheckpointTag,
  type EpochLogs,
  MemoryCheckpointStore,
  type ModelSignature,
  modelSignature,
  type NamedArray,
  type TrainState,
} from './checkpoint';
export {
  type Batch,
  type BatchContext,
  type BatchSource,
  type TensorBatchesOptions,
  tensorBatches,
} from './data';
export {
  FUSED_CROSS_ENTROPY,
  FUSED_CROSS_ENTROPY_GRAD,
  fusedCrossEntropyActive,
  fusedCrossEntropyEnabled,
  fusedSoftmaxCrossEntropy,
  setFusedCrossEntropyEnabled,
} from './fused-cross-entropy';
export { type CrossEntropyOptions, type LossFn, sparseCrossEntropy } from './loss';
export { accuracy, type Metric, type MetricContext, topKAccuracy } from './metrics';
export { AdamW, type AdamWOptions, type ApplyOptions, type OptimizerState } from './optimizer';
export { Rng, type RngState, withSeededRandom } from './rng';
export {
  constantLr,
  type LrSchedule,
  type WarmupCosineOptions,
  warmupCosineByFraction,
  warmupCosineLr,
} from './schedule';
export {
  type PaddedIds,
  type SequenceBatchesOptions,
  sequenceBatches,
  usedLengths,
} from './sequence-batches';
export { type StepReplayReport, setStepReplay, stepReplayEnabled } from './step-replay';
export {
  type LearningRate,
  learningRateSchedule,
  TASK_FIT_DEFAULTS,
  type TaskFitDefaults,
  type TaskFitOptions,
  taskTrainSettings,
} from './task-fit';
export {
  type BatchLogs,
  type Callback,
  type EarlyStoppingConfig,
  type EvaluateOptions,
  evaluate,
  loadCheckpointWeights,
  NonFiniteLossError,
  type OptimizerConfig,
  type TrainInfo,
  type TrainOptions,
  type TrainResult,
  train,
} from './trainer';
