import { type CaptureResult, StepCapture, type StepPlan, signatureDifference } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';

/** What step replay did during a training run (TrainResult.stepReplay). */
export interface StepReplayReport {
  /** Optimizer steps run by replaying a captured step. */
  replayed: number;
  /** Steps run op by op (captures included). */
  eager: number;
  /** Captured steps (two per input shape when all goes well). */
  captures: number;
  /** Why some shapes run op by op, e.g. "[512,28,28,1]/[512]: the step uploads ...". */
  fallbacks: string[];
}

type Entry =
  | { state: 'capturing'; previous?: StepPlan; attempts: number }
  | { state: 'ready'; plan: StepPlan }
  | { state: 'eager'; reason: string };

/** Captures that may differ before a shape falls back (the first step of a run often uploads constants). */
const MAX_CAPTURES = 3;

let globallyEnabled = true;

/** Turns step replay off (or back on) for trainings started afterwards; `ATTNZOO_STEP_REPLAY=0` does too. */
export function setStepReplay(on: boolean): void {
  globallyEnabled = on;
}

export function stepReplayEnabled(): boolean {
  const env = typeof process !== 'undefined' ? process.env?.ATTNZOO_STEP_REPLAY : undefined;
  return globallyEnabled && env !== '0' && tf.getBackend() === 'webgpu';
}

/**
 * Decides, per shape of the batch, whether a training step runs op by op, is captured, or is
 * replayed: a shape's step is captured until two consecutive captures agree (same kernels, same
 * constants, so nothing but the marked inputs and seeds changes from step to step), then replayed.
 * A plan that can no longer be replayed (a weight assigned from outside, say) is captured anew.
 */
export class StepReplayer {
  private readonly entries = new Map<string, Entry>();
  private readonly order: string[] = [];
  readonly report: StepReplayReport = { replayed: 0, eager: 0, captures: 0, fallbacks: [] };

  constructor(private readonly maxPlans = 4) {}

  /** The ready plan for `key`, if its step can be replayed now. */
  plan(key: string): StepPlan | undefined {
    const e = this.entries.get(key);
    if (e?.state !== 'ready') return undefined;
    if (e.plan.check()) {
      e.plan.dispose();
      this.entries.set(key, { state: 'capturing', attempts: 0 });
      return undefined;
    }
    return e.plan;
  }

  /** A capture for this step of `key` (inputs: the batch), or undefined when it runs op by op uncaptured. */
  capture(key: string, inputs: Record<string, tf.Tensor>): StepCapture | undefined {
    let e = this.entries.get(key);
    if (!e) {
      e = { state: 'capturing', attempts: 0 };
      this.entries.set(key, e);
      this.order.push(key);
      this.evict();
    }
    return e.state === 'capturing' ? StepCapture.begin(inputs) : undefined;
  }

  /** Takes the result of a capture of `key`'s step. */
  captured(key: string, result: CaptureResult): void {
    this.report.captures += 1;
    const e = this.entries.get(key);
    if (e?.state !== 'capturing') {
      result.plan?.dispose();
      return;
    }
    if (!result.plan) {
      e.previous?.dispose();
      if (result.retry) {
        e.previous = undefined;
        return;
      }
      this.fallBack(key, result.reason ?? 'the capture failed');
      return;
    }
    const difference = e.previous
      ? signatureDifference(e.previous.signature, result.plan.signature)
      : 'first';
    if (!difference) {
      e.previous?.dispose();
      this.entries.set(key, { state: 'ready', plan: result.plan });
      return;
    }
    e.previous?.dispose();
    e.attempts += 1;
    if (e.attempts >= MAX_CAPTURES) {
      result.plan.dispose();
      this.fallBack(key, `consecutive steps differ in more than their inputs: ${difference}`);
      return;
    }
    e.previous = result.plan;
  }

  private fallBack(key: string, reason: string): void {
    this.entries.set(key, { state: 'eager', reason });
    this.report.fallbacks.push(`${key}: ${reason}`);
  }

  /** Keeps at most `maxPlans` shapes' plans (each holds a step's worth of GPU memory). */
  private evict(): void {
    while (this.order.length > this.maxPlans) {
      const key = this.order.shift() as string;
      const e = this.entries.get(key);
      if (e?.state === 'ready') e.plan.dispose();
      if (e?.state === 'capturing') e.previous?.dispose();
      this.entries.delete(key);
    }
  }

  dispose(): void {
    for (const e of this.entries.values()) {
      if (e.state === 'ready') e.plan.dispose();
      if (e.state === 'capturing') e.previous?.dispose();
    }
    this.entries.clear();
    this.order.length = 0;
  }
}
