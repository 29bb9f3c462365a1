import type { Callback } from './trainer';

/**
 * Times training steps from `onBatchEnd`, ignoring the first `warmup` (kernel compilation, caches):
 * pass `callback` to a short probe run, then read `secondsPerStep()`.
 */
export function stepTimer(warmup: number): {
  callback: Callback;
  secondsPerStep(): number;
  measured(): number;
} {
  const times: number[] = [];
  let last = 0;
  const measured = () => times.slice(warmup);
  return {
    callback: {
      onEpochBegin: () => {
        last = 0;
      },
      onBatchEnd: (l) => {
        times.push(l.seconds - last);
        last = l.seconds;
      },
    },
    secondsPerStep() {
      const m = measured().sort((a, b) => a - b);
      if (m.length) return m[Math.floor(m.length / 2)];
      if (times.length) return times[times.length - 1];
      throw new Error('stepTimer: the probe run took no steps; give it more data than warmup batches');
    },
    measured: () => measured().length,
  };
}

/**
 * How many of `wanted` epochs fit in `budgetSeconds` at `secondsPerStep` (at least 1), with a
 * margin for per-epoch work outside the steps (validation, checkpoints).
 */
export function epochsWithinBudget(o: {
  secondsPerStep: number;
  stepsPerEpoch: number;
  budgetSeconds: number;
  wanted: number;
  /** Multiplies the step time of an epoch; default 1.05. */
  epochOverhead?: number;
}): { epochs: number; secondsPerEpoch: number } {
  if (!(o.budgetSeconds > 0)) throw new Error(`the time budget must be > 0 seconds, got ${o.budgetSeconds}`);
  const secondsPerEpoch = o.secondsPerStep * o.stepsPerEpoch * (o.epochOverhead ?? 1.05);
  const epochs = Math.max(1, Math.min(o.wanted, Math.floor(o.budgetSeconds / secondsPerEpoch)));
  return { epochs, secondsPerEpoch };
}

/** Thrown by `pauseAtTimeLimit` after an epoch's checkpoint is written: rerun with resume to go on. */
export class TrainingPaused extends Error {
  constructor(
    readonly epochsDone: number,
    readonly epochs: number,
  ) {
    super(
      `training paused after epoch ${epochsDone} of ${epochs}: the next epoch would pass the time limit. ` +
        'Its checkpoint is saved: run the same command again with resume (--resume) to continue.',
    );
    this.name = 'TrainingPaused';
  }
}

/**
 * Stops a run that checkpoints every epoch before the next epoch would end after `limitSeconds`
 * (counted from `startedAt`, a `performance.now()` value) plus `reserveSeconds` for the work after
 * training. The longest epoch so far is the estimate. Lets one long schedule be trained across
 * machines that are lent for minutes: same command, `resume`, same learning-rate schedule.
 */
export function pauseAtTimeLimit(o: {
  limitSeconds: number;
  startedAt: number;
  reserveSeconds?: number;
  now?: () => number;
}): Callback {
  if (!(o.limitSeconds > 0)) throw new Error(`the time limit must be > 0 seconds, got ${o.limitSeconds}`);
  const now = o.now ?? (() => performance.now());
  let epochs = 0;
  let longest = 0;
  return {
    onTrainBegin: (info) => {
      epochs = info.epochs;
    },
    onEpochEnd: (logs) => {
      longest = Math.max(longest, logs.seconds);
      const elapsed = (now() - o.startedAt) / 1000;
      const done = logs.epoch + 1;
      if (done < epochs && elapsed + longest + (o.reserveSeconds ?? 0) > o.limitSeconds) {
        throw new TrainingPaused(done, epochs);
      }
    },
  };
}
