import type { EpochLogs } from './checkpoint';
import type { BatchLogs, Callback, TrainInfo, TrainResult } from './trainer';

export interface ProgressOptions {
  /** Where to write; default process.stdout when there is one, else console.log. */
  write?: (text: string) => void;
  /** Redraw one line in place (a TTY); default: whether process.stdout is a TTY. Plain lines otherwise. */
  tty?: boolean;
  /** Without a TTY, print a batch line every this many batches (default 0: epoch lines only). */
  every?: number;
  /** Bar width in characters (default 24). */
  width?: number;
}

function fmtNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  return x.toFixed(4);
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const m = Math.floor(s / 60);
  const r = Math.round(s % 60);
  return m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

function fmtMetrics(values: Record<string, number>, skip: string[] = []): string {
  return Object.entries(values)
    .filter(([k]) => !skip.includes(k))
    .map(([k, v]) => `${k} ${fmtNumber(v)}`)
    .join(' ');
}

/**
 * Shows loss, metrics, examples/s and ETA: a bar redrawn in place on a TTY, plain lines otherwise.
 */
export function progressBar(opts: ProgressOptions = {}): Callback {
  const stdout = (globalThis as { process?: { stdout?: { isTTY?: boolean; write(s: string): void } } })
    .process?.stdout;
  const write =
    opts.write ?? (stdout ? (s: string) => stdout.write(s) : (s: string) => console.log(s.trimEnd()));
  const tty = opts.tty ?? Boolean(stdout?.isTTY);
  const every = opts.every ?? 0;
  const width = opts.width ?? 24;
  let epochs = 0;
  let lossSum = 0;
  let n = 0;
  return {
    onTrainBegin(info: TrainInfo) {
      epochs = info.epochs;
      if (info.resumed) write(`resuming at epoch ${info.startEpoch + 1}/${epochs} (step ${info.step})\n`);
    },
    onEpochBegin() {
      lossSum = 0;
      n = 0;
    },
    onBatchEnd(logs: BatchLogs) {
      lossSum += logs.loss;
      n += 1;
      const rate = logs.examples / Math.max(logs.seconds, 1e-9);
      const perBatch = logs.seconds / (logs.batch + 1);
      const total = logs.batches;
      const eta = total ? fmtTime((total - logs.batch - 1) * perBatch) : '?';
      const done = total ? Math.min(1, (logs.batch + 1) / total) : 0;
      const bar = total ? `[${'='.repeat(Math.round(done * width)).padEnd(width, ' ')}] ` : '';
      const counter = total ? `${logs.batch + 1}/${total}` : `${logs.batch + 1}`;
      const metrics = fmtMetrics(logs.metrics);
      const text =
        `epoch ${logs.epoch + 1}/${epochs} ${bar}${counter} loss ${fmtNumber(lossSum / n)}` +
        (metrics ? ` ${metrics}` : '') +
        ` ${Math.round(rate)} ex/s ETA ${eta}`;
      if (tty) write(`\r\x1b[2K${text}`);
      else if (every > 0 && (logs.batch + 1) % every === 0) write(`${text}\n`);
    },
    onEpochEnd(logs: EpochLogs) {
      const rest = fmtMetrics(logs, ['epoch', 'step', 'loss', 'lr', 'seconds', 'examplesPerSecond']);
      const text =
        `epoch ${logs.epoch + 1}/${epochs} loss ${fmtNumber(logs.loss)}` +
        (rest ? ` ${rest}` : '') +
        ` lr ${fmtNumber(logs.lr)} ${Math.round(logs.examplesPerSecond)} ex/s ${fmtTime(logs.seconds)}`;
      write(tty ? `\r\x1b[2K${text}\n` : `${text}\n`);
    },
    onTrainEnd(result: TrainResult) {
      if (result.stoppedEarly) {
        write(
          `stopped early; best ${result.best.monitor} ${fmtNumber(result.best.value ?? Number.NaN)} at epoch ${result.best.epoch + 1}\n`,
        );
      }
      if (result.test) write(`test ${fmtMetrics(result.test)}\n`);
    },
  };
}
