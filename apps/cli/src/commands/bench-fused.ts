import { benchmarkFusedAttention, fusedBenchmarkMarkdown } from '@attnzoo/attention/bench';
import { chooseBackend } from '../backend';
import { measurementEnvironment } from '../environment';
import { writeReport } from '../report/write-report';

export interface BenchFusedOptions {
  backend?: string;
  webgpuAdapter?: string;
  batch: number;
  heads: number;
  headDim: number;
  lengths: number[];
  causal: boolean;
  repeats: number;
  out: string;
}

/** `attnzoo bench fused`: the fused WebGPU attention kernel against tfjs's unfused path. */
export async function benchFused(o: BenchFusedOptions): Promise<void> {
  const choice = await chooseBackend(o.backend ?? 'webgpu', o.webgpuAdapter);
  const environment = measurementEnvironment(choice);
  const report = await benchmarkFusedAttention({
    batch: o.batch,
    heads: o.heads,
    headDim: o.headDim,
    lengths: o.lengths,
    causal: o.causal ? [false, true] : [false],
    repeats: o.repeats,
    onRow: (row) => console.error(`  ${JSON.stringify(row)}`),
  });
  const command = `attnzoo bench fused --batch ${o.batch} --heads ${o.heads} --head-dim ${o.headDim} --lengths ${o.lengths}${o.causal ? ' --causal' : ''}`;
  const markdown = [
    '# Fused attention on WebGPU',
    '',
    `Command: \`${command}\``,
    '',
    `Environment: ${environment.backend}${environment.adapter ? ` on ${environment.adapter}` : ''}; ${environment.date}.`,
    '',
    fusedBenchmarkMarkdown(report),
  ].join('\n');
  const files = await writeReport(o.out, 'fused-webgpu', { command, environment, ...report }, markdown);
  console.log(`${markdown}\n\nWrote ${files.join(', ')}`);
}
