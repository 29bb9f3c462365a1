import { cpus, totalmem } from 'node:os';
import type { BackendChoice } from '@attnzoo/runtime';

/** Where a measurement was taken: recorded next to every benchmark and model card figure. */
export interface MeasurementEnvironment {
  backend: string;
  adapter?: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  date: string;
}

export function measurementEnvironment(choice: BackendChoice): MeasurementEnvironment {
  const a = choice.webgpuAdapter;
  return {
    backend: choice.backend,
    adapter: a
      ? [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ') +
        (a.software ? ' (software)' : '')
      : undefined,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
  };
}
