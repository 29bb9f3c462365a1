import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AttentionVariant } from '@attnzoo/attention';
import { progressBar } from '@attnzoo/train';
import { chooseBackend } from '../backend';
import { measurementEnvironment } from '../environment';
import { type ClaimVerdict, verdicts } from '../paper/claims';
import { barChartSvg } from '../paper/svg';
import {
  type PaperTask,
  prepareTask,
  type RunMeasure,
  TASK_DEFAULTS,
  type TaskSettings,
} from '../paper/tasks';
import { welch } from '../paper/welch';
import { markdownTable } from '../report/markdown-table';
import { writeReport } from '../report/write-report';

export interface BenchPaperOptions {
  task: PaperTask;
  seeds: number;
  variants: AttentionVariant[];
  settings: Partial<TaskSettings>;
  data?: string;
  backend?: string;
  webgpuAdapter?: string;
  out: string;
  json: boolean;
  /** The command line as typed (written into the results). */
  command: string;
}

export interface PaperRow {
  variant: AttentionVariant;
  attentionParameters: number;
  totalParameters: number;
  metricMean: number;
  metricStd: number;
  metrics: number[];
  secondsPerEpoch: number;
  throughput: number;
  attentionParametersRatio: number;
  totalParametersRatio: number;
  metricRatio: number;
  secondsPerEpochRatio: number;
  throughputRatio: number;
  /** Two-sided Welch t-test p-value of the metric against SDPA's seeds (NaN for SDPA or < 2 seeds). */
  pValue: number;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n - 1); 0 for a single seed. */
function std(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

export function summarise(
  runs: { variant: AttentionVariant; seed: number; measure: RunMeasure }[],
  variants: AttentionVariant[],
): PaperRow[] {
  const rows = variants.map((variant) => {
    const mine = runs.filter((r) => r.variant === variant).map((r) => r.measure);
    const metrics = mine.map((m) => m.metric);
    return {
      variant,
      attentionParameters: mine[0].attentionParameters,
      totalParameters: mine[0].totalParameters,
      metricMean: mean(metrics),
      metricStd: std(metrics),
      metrics,
      secondsPerEpoch: mean(mine.map((m) => m.secondsPerEpoch)),
      throughput: mean(mine.map((m) => m.throughput)),
      attentionParametersRatio: Number.NaN,
      totalParametersRatio: Number.NaN,
      metricRatio: Number.NaN,
      secondsPerEpochRatio: Number.NaN,
      throughputRatio: Number.NaN,
      pValue: Number.NaN,
    };
  });
  const sdpa = rows.find((r) => r.variant === 'sdpa');
  if (sdpa) {
    for (const r of rows) {
      r.attentionParametersRatio = r.attentionParameters / sdpa.attentionParameters;
      r.totalParametersRatio = r.totalParameters / sdpa.totalParameters;
      r.metricRatio = r.metricMean / sdpa.metricMean;
      r.secondsPerEpochRatio = r.secondsPerEpoch / sdpa.secondsPerEpoch;
      r.throughputRatio = r.throughput / sdpa.throughput;
      if (r !== sdpa) r.pValue = welch(r.metrics, sdpa.metrics).p;
    }
  }
  return rows;
}

export function paperTable(rows: PaperRow[], metric: string): string {
  const pct = metric === 'accuracy';
  return markdownTable(rows, [
    { header: 'variant', value: (r) => r.variant },
    { header: 'attention params', value: (r) => r.attentionParameters, digits: 0 },
    { header: '/ sdpa', value: (r) => r.attentionParametersRatio },
    { header: 'total params', value: (r) => r.totalParameters, digits: 0 },
    { header: '/ sdpa', value: (r) => r.totalParametersRatio },
    {
      header: `test ${metric}${pct ? ' %' : ''} (mean ± std)`,
      value: (r) =>
        `${((pct ? 100 : 1) * r.metricMean).toFixed(2)} ± ${((pct ? 100 : 1) * r.metricStd).toFixed(2)}`,
    },
    { header: '/ sdpa', value: (r) => r.metricRatio, digits: 3 },
    { header: 'Welch p vs sdpa', value: (r) => (Number.isNaN(r.pValue) ? '' : r.pValue.toFixed(3)) },
    { header: 's / epoch', value: (r) => r.secondsPerEpoch, digits: 1 },
    { header: '/ sdpa', value: (r) => r.secondsPerEpochRatio },
    { header: 'inference ex/s', value: (r) => r.throughput, digits: 0 },
    { header: '/ sdpa', value: (r) => r.throughputRatio },
  ]);
}

export function claimsTable(claims: ClaimVerdict[]): string {
  return markdownTable(claims, [
    { header: 'claim', value: (c) => c.claim },
    { header: 'verdict', value: (c) => c.verdict },
    { header: 'evidence', value: (c) => c.evidence },
  ]);
}

export function paperChart(task: string, rows: PaperRow[], metric: string, subtitle: string): string {
  const pct = metric === 'accuracy' ? 100 : 1;
  return barChartSvg(
    `Paper reproduction: ${task}`,
    [
      {
        title: `test ${metric}${pct === 100 ? ' %' : ''} (mean ± std)`,
        bars: rows.map((r) => ({ label: r.variant, value: pct * r.metricMean, error: pct * r.metricStd })),
      },
      {
        title: 'attention params / SDPA',
        bars: rows.map((r) => ({ label: r.variant, value: r.attentionParametersRatio })),
        reference: 1,
      },
      {
        title: 'training speed / SDPA',
        bars: rows.map((r) => ({ label: r.variant, value: 1 / r.secondsPerEpochRatio })),
        reference: 1,
      },
      {
        title: 'inference throughput / SDPA',
        bars: rows.map((r) => ({ label: r.variant, value: r.throughputRatio })),
        reference: 1,
      },
    ],
    subtitle,
  );
}

/**
 * `attnzoo bench paper`: trains every attention variant on one of the paper's tasks with several
 * seeds and writes JSON, a markdown table and an SVG chart (metric mean ± std, parameters,
 * training time per epoch, inference throughput, each also as a ratio to SDPA from the same run).
 */
export async function benchPaper(o: BenchPaperOptions): Promise<void> {
  const choice = await chooseBackend(o.backend, o.webgpuAdapter);
  const environment = measurementEnvironment(choice);
  const given = Object.fromEntries(Object.entries(o.settings).filter(([, v]) => v !== undefined));
  const settings: TaskSettings = { ...TASK_DEFAULTS[o.task], ...given };
  const log = (line: string) => {
    if (!o.json) console.error(line);
  };
  log(`bench paper ${o.task}: loading data`);
  const prepared = await prepareTask(o.task, settings, o.data);
  log(`bench paper ${o.task}: ${prepared.data.note}`);
  const runs: { variant: AttentionVariant; seed: number; measure: RunMeasure }[] = [];
  const started = performance.now();
  // Seeds outermost, so that a slowdown of the machine part-way spreads over all variants.
  for (let seed = 1; seed <= o.seeds; seed++) {
    for (const variant of o.variants) {
      const callbacks = o.json
        ? []
        : [progressBar({ tty: Boolean(process.stderr.isTTY), write: (s) => process.stderr.write(s) })];
      const measure = await prepared.run(variant, seed, callbacks);
      runs.push({ variant, seed, measure });
      log(
        `  ${variant} seed ${seed}: ${prepared.metric} ${measure.metric.toFixed(4)}, ${measure.secondsPerEpoch.toFixed(1)} s/epoch, ${measure.throughput.toFixed(0)} ex/s`,
      );
    }
  }
  const totalMinutes = (performance.now() - started) / 60000;
  const rows = summarise(runs, o.variants);
  const claims = verdicts(rows, prepared.metric);
  const hardware = `${environment.cpu} × ${environment.cores} (${environment.memoryGiB} GiB)`;
  const where = `${environment.backend}${environment.adapter ? ` on ${environment.adapter}` : ''}; ${hardware}; Node ${environment.node}; ${environment.date}`;
  const markdown = [
    `# Paper reproduction: ${o.task}`,
    '',
    `Command: \`${o.command}\``,
    '',
    `Backend and hardware: ${where}. Total ${totalMinutes.toFixed(1)} min for ${runs.length} runs.`,
    '',
    `Data: ${prepared.data.note} (${prepared.data.source}).`,
    '',
    `Model: ${Object.entries(prepared.model)
      .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`)
      .join(', ')}.`,
    '',
    `Seeds 1–${o.seeds} (model initialisation and data order). Mean ± sample std over seeds; time per epoch and throughput are means over seeds; every ratio is to SDPA in this same run (params, metric and time: lower time / higher throughput is faster).`,
    '',
    paperTable(rows, prepared.metric),
    ...(claims.length ? ['', "## The paper's claims on this run", '', claimsTable(claims)] : []),
    ...(runs.some((r) => r.measure.bestEpoch)
      ? [
          '',
          `Best validation epoch per run: ${runs.map((r) => `${r.variant} seed ${r.seed}: ${r.measure.bestEpoch}`).join(', ')}.`,
        ]
      : []),
  ].join('\n');
  const dir = join(o.out, o.task);
  const json = {
    task: o.task,
    command: o.command,
    environment,
    hardware,
    settings,
    seeds: o.seeds,
    metric: prepared.metric,
    data: prepared.data,
    model: prepared.model,
    totalMinutes,
    rows,
    claims,
    runs,
  };
  const files = await writeReport(dir, 'results', json, markdown);
  await mkdir(dir, { recursive: true });
  const svgPath = join(dir, 'chart.svg');
  await writeFile(
    svgPath,
    paperChart(
      o.task,
      rows,
      prepared.metric,
      `${environment.backend}, ${o.seeds} seed(s), ${prepared.data.train} training examples`,
    ),
  );
  files.push(svgPath);
  if (o.json) console.log(JSON.stringify({ ...json, files }, null, 2));
  else console.log(`${markdown}\n\nWrote ${files.join(', ')}`);
}
