import { type AttentionBenchmarkRow, benchmarkAttention } from '@attnzoo/attention/bench';
import { chooseBackend } from '../backend';
import { measurementEnvironment } from '../environment';
import { markdownTable } from '../report/markdown-table';
import { writeReport } from '../report/write-report';

export interface BenchAttentionOptions {
  backend?: string;
  webgpuAdapter?: string;
  batch: number;
  lengths: number[];
  widths: number[];
  repeats: number;
  warmup: number;
  out: string;
  json: boolean;
}

export function attentionTable(rows: AttentionBenchmarkRow[]): string {
  return markdownTable(rows, [
    { header: 'variant', value: (r) => r.variant },
    { header: 'L', value: (r) => r.length, digits: 0 },
    { header: 'd', value: (r) => r.width, digits: 0 },
    { header: 'heads', value: (r) => r.heads, digits: 0 },
    { header: 'params', value: (r) => r.parameters, digits: 0 },
    { header: 'MACs (batch)', value: (r) => r.multiplyAdds.toExponential(2) },
    { header: 'fwd ms', value: (r) => r.forwardMs },
    { header: 'fwd / sdpa', value: (r) => r.forwardRatioToSdpa },
    { header: 'fwd+bwd ms', value: (r) => r.forwardBackwardMs },
    { header: 'fwd+bwd / sdpa', value: (r) => r.forwardBackwardRatioToSdpa },
    { header: 'fwd GFLOP/s', value: (r) => r.forwardGflops, digits: 1 },
  ]);
}

/** `attnzoo bench attention`: per-variant forward and forward+backward times, JSON + markdown. */
export async function benchAttention(o: BenchAttentionOptions): Promise<void> {
  const choice = await chooseBackend(o.backend, o.webgpuAdapter);
  const environment = measurementEnvironment(choice);
  const rows = await benchmarkAttention({
    batch: o.batch,
    lengths: o.lengths,
    widths: o.widths,
    repeats: o.repeats,
    warmup: o.warmup,
    onCase: (r) => {
      if (!o.json)
        console.error(
          `  ${r.variant} L=${r.length} d=${r.width}: fwd ${r.forwardMs.toFixed(2)} ms, fwd+bwd ${r.forwardBackwardMs.toFixed(2)} ms`,
        );
    },
  });
  const command = `attnzoo bench attention --backend ${choice.backend} --batch ${o.batch} --lengths ${o.lengths} --widths ${o.widths} --repeats ${o.repeats}`;
  const table = attentionTable(rows);
  const markdown = [
    `# Attention benchmark (${choice.backend})`,
    '',
    `Command: \`${command}\``,
    '',
    `Environment: ${environment.backend}${environment.adapter ? ` on ${environment.adapter}` : ''}; ${environment.cpu} × ${environment.cores}; Node ${environment.node}; ${environment.date}.`,
    '',
    `Batch ${o.batch}, self-attention, float32; median of ${o.repeats} runs after ${o.warmup} warm-up runs; ratios are to SDPA at the same shape in the same process.`,
    '',
    table,
  ].join('\n');
  const name = `attention-${choice.backend}`;
  const files = await writeReport(o.out, name, { command, environment, rows }, markdown);
  if (o.json) console.log(JSON.stringify({ command, environment, rows, files }, null, 2));
  else console.log(`${markdown}\n\nWrote ${files.join(', ')}`);
}
