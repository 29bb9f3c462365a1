import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { modelCost } from '@attnzoo/attention';
import { findLocalDataFile } from '@attnzoo/datasets/node';
import {
  type Callback,
  constantLr,
  type LrSchedule,
  progressBar,
  warmupCosineByFraction,
} from '@attnzoo/train';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { UsageError } from '../command';

export function looksLikePath(s: string): boolean {
  return s.includes('/') || s.startsWith('.') || existsSync(s);
}

/** A preset folder given directly, or a release folder holding it in preset/. */
export function presetFolder(source: string): string {
  if (/^(https?|file):/i.test(source) || !looksLikePath(source)) return source;
  if (!existsSync(source)) throw new UsageError(`--from ${source}: no such folder.`);
  const nested = join(source, 'preset');
  return existsSync(join(nested, 'manifest.json')) ? nested : source;
}

/** Finds `<file>` in $ATTNZOO_DATA_DIR, else in shared/data in the working folder or above it (the project sits beside shared/). */
export function sharedDataFile(file: string): string | undefined {
  return findLocalDataFile(file);
}

/** A data file that must exist: a clear usage error otherwise. */
export function existingFile(path: string, what: string): string {
  if (!existsSync(path)) throw new UsageError(`--data ${path}: no such file (${what}).`);
  return path;
}

export interface ScheduleOptions {
  schedule: 'cosine' | 'constant';
  peakLr: number;
  /** Warm-up as a fraction of all steps. */
  warmup: number;
  totalSteps: number;
}

/** Linear warm-up, then cosine decay to 0 or a constant rate. */
export function learningRate(o: ScheduleOptions): LrSchedule {
  if (o.schedule === 'cosine')
    return warmupCosineByFraction({ peakLr: o.peakLr, warmupFraction: o.warmup, totalSteps: o.totalSteps });
  const warmupSteps = Math.round(o.warmup * o.totalSteps);
  const flat = constantLr(o.peakLr);
  return warmupSteps > 0
    ? (step) => (step < warmupSteps ? (o.peakLr * (step + 1)) / warmupSteps : flat(step))
    : flat;
}

/** Progress on stderr: a redrawn bar on a TTY, plain epoch lines otherwise, nothing with --json. */
export function progressCallbacks(json: boolean): Callback[] {
  if (json) return [];
  const tty = Boolean(process.stderr.isTTY);
  return [progressBar({ tty, every: tty ? 1 : 0, write: (s) => process.stderr.write(s) })];
}

/**
 * Total and attention parameters. attention's modelCost reads each layer's input shape, which
 * throws for models whose layers are shared with other graphs (the translator's decoder-step
 * models); those are counted from the weights of layers whose class names an attention layer.
 */
export function parameterCounts(model: LayersModel): { total: number; attention: number } {
  try {
    const c = modelCost(model);
    return { total: c.totalParameters, attention: c.attentionParameters };
  } catch {
    let attention = 0;
    const walk = (layers: { getClassName(): string; countParams(): number; layers?: unknown[] }[]) => {
      for (const l of layers) {
        if (/Attention/.test(l.getClassName())) attention += l.countParams();
        else if (Array.isArray(l.layers)) walk(l.layers as never);
      }
    };
    walk(model.layers as never);
    return { total: model.countParams(), attention };
  }
}
