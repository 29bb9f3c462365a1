/** A learning-rate schedule: the learning rate for 0-based optimizer step `step`. */
export type LrSchedule = (step: number) => number;

/** The same learning rate at every step. */
export function constantLr(lr: number): LrSchedule {
  assertRate(lr, 'lr');
  return () => lr;
}

export interface WarmupCosineOptions {
  /** Learning rate reached at the end of warmup. */
  peakLr: number;
  /** Steps of linear warmup from `initialLr` (default 0) to `peakLr`. */
  warmupSteps: number;
  /** Total optimizer steps of the run; after it the rate stays at `minLr`. */
  totalSteps: number;
  /** Floor of the cosine decay (default 0). */
  minLr?: number;
  /** Rate at step 0 of the warmup (default 0, so the first step uses peakLr/warmupSteps). */
  initialLr?: number;
}

/**
 * Linear warmup, then cosine decay: step s < warmup gets initialLr + (peak-initialLr)*(s+1)/warmup;
 * after that lr = minLr + (peak-minLr) * (1 + cos(pi * progress)) / 2 with
 * progress = (s - warmup) / (totalSteps - warmup), clamped to [0, 1].
 */
export function warmupCosineLr(opts: WarmupCosineOptions): LrSchedule {
  const { peakLr, warmupSteps, totalSteps, minLr = 0, initialLr = 0 } = opts;
  assertRate(peakLr, 'peakLr');
  assertRate(minLr, 'minLr');
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) {
    throw new Error(`warmupSteps must be an integer >= 0, got ${warmupSteps}`);
  }
  if (!Number.isInteger(totalSteps) || totalSteps < warmupSteps) {
    throw new Error(
      `totalSteps (${totalSteps}) must be an integer >= warmupSteps (${warmupSteps}): set it to epochs * batches per epoch`,
    );
  }
  return (step: number) => {
    if (step < warmupSteps) return initialLr + ((peakLr - initialLr) * (step + 1)) / warmupSteps;
    const span = totalSteps - warmupSteps;
    const progress = span === 0 ? 1 : Math.min(1, Math.max(0, (step - warmupSteps) / span));
    return minLr + ((peakLr - minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
  };
}

/**
 * Warmup + cosine with the warmup given as a fraction of the run (at least one step), the form
 * task packages and the CLI expose: `warmupFraction` 0.05 of 1,000 steps warms up for 50.
 */
export function warmupCosineByFraction(opts: {
  peakLr: number;
  warmupFraction: number;
  totalSteps: number;
}): LrSchedule {
  const { peakLr, warmupFraction, totalSteps } = opts;
  if (!Number.isFinite(warmupFraction) || warmupFraction < 0 || warmupFraction > 1) {
    throw new Error(`warmupFraction must be between 0 and 1, got ${warmupFraction}`);
  }
  const warmupSteps = Math.max(1, Math.round(totalSteps * warmupFraction));
  return warmupCosineLr({ peakLr, warmupSteps, totalSteps });
}

function assertRate(x: number, name: string): void {
  if (!Number.isFinite(x) || x < 0) throw new Error(`${name} must be a finite number >= 0, got ${x}`);
}
