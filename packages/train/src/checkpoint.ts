import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { OptimizerState } from './optimizer';
import type { RngState } from './rng';

export interface NamedArray {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

/** What identifies a model's architecture: its layer classes and weight shapes, in order. */
export interface ModelSignature {
  layers: string[];
  weights: { name: string; shape: number[]; dtype: string }[];
}

export interface EpochLogs {
  /** 0-based epoch index. */
  epoch: number;
  /** Optimizer steps completed at the end of the epoch. */
  step: number;
  loss: number;
  lr: number;
  seconds: number;
  examplesPerSecond: number;
  [metric: string]: number;
}

/** Everything besides tensors that a resumed run needs. */
export interface TrainState {
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps completed. */
  step: number;
  /** The trainer's RNG state after `epoch` epochs. */
  rng: RngState;
  seed: number;
  monitor: string;
  best: { value: number | null; epoch: number };
  /** Epochs since the monitored value last improved. */
  wait: number;
  signature: ModelSignature;
  history: EpochLogs[];
}

export interface Checkpoint {
  weights: NamedArray[];
  optimizer: OptimizerState;
  state: TrainState;
}

export type CheckpointTag = 'last' | 'best';

/** Where checkpoints go: memory here, a folder on disk in `@attnzoo/train/node`, IndexedDB elsewhere. */
export interface CheckpointStore {
  save(tag: CheckpointTag, checkpoint: Checkpoint): Promise<void>;
  /** The checkpoint saved under `tag`, or null when there is none. Throws when it is unreadable. */
  load(tag: CheckpointTag): Promise<Checkpoint | null>;
  /** Claims the store for one training, before anything is read or written; throws when another holds it. */
  acquire?(): Promise<void>;
  /** Gives the claim up when the training ends. */
  release?(): Promise<void>;
}

function copyCheckpoint(c: Checkpoint): Checkpoint {
  return {
    weights: c.weights.map((w) => ({ ...w, shape: [...w.shape], data: w.data.slice() })),
    optimizer: {
      step: c.optimizer.step,
      m: c.optimizer.m.map((a) => a.slice()),
      v: c.optimizer.v.map((a) => a.slice()),
    },
    state: JSON.parse(JSON.stringify(c.state)),
  };
}

/** Keeps checkpoints in memory (copies), for browsers and tests. */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly items = new Map<CheckpointTag, Checkpoint>();
  async save(tag: CheckpointTag, checkpoint: Checkpoint): Promise<void> {
    this.items.set(tag, copyCheckpoint(checkpoint));
  }
  async load(tag: CheckpointTag): Promise<Checkpoint | null> {
    const c = this.items.get(tag);
    return c ? copyCheckpoint(c) : null;
  }
}

export function modelSignature(model: LayersModel): ModelSignature {
  return {
    layers: model.layers.map((l) => l.getClassName()),
    weights: model.weights.map((w) => ({
      name: w.originalName ?? w.name,
      shape: w.shape.map((d) => d ?? -1),
      dtype: w.dtype,
    })),
  };
}

/**
 * Throws a clear error when `saved` is not the signature of `current`. Weight names are not compared
 * (tfjs numbers unnamed layers per process), only layer classes and weight shapes, in order.
 */
export function assertSameSignature(
  saved: ModelSignature,
  current: ModelSignature,
  where = 'checkpoint',
): void {
  const fix = 'resume with the model that wrote it, or start a fresh run in another checkpoint folder';
  if (!saved || !Array.isArray(saved.weights) || !Array.isArray(saved.layers)) {
    throw new Error(`${where} has no model signature: it was not written by @attnzoo/train; ${fix}`);
  }
  if (saved.weights.length !== current.weights.length) {
    throw new Error(
      `${where} is from another model: it holds ${saved.weights.length} weight tensors, the model has ${current.weights.length}; ${fix}`,
    );
  }
  for (let i = 0; i < saved.weights.length; i++) {
    const a = saved.weights[i];
    const b = current.weights[i];
    if (
      a.shape.length !== b.shape.length ||
      a.shape.some((d, j) => d !== b.shape[j]) ||
      a.dtype !== b.dtype
    ) {
      throw new Error(
        `${where} is from another model: weight ${i} '${a.name}' is ${a.dtype}[${a.shape}] but the model's '${b.name}' is ${b.dtype}[${b.shape}]; ${fix}`,
      );
    }
  }
  const la = saved.layers.join(',');
  const lb = current.layers.join(',');
  if (la !== lb) {
    throw new Error(
      `${where} is from another model: its layers are [${la}], the model's are [${lb}]; ${fix}`,
    );
  }
}
