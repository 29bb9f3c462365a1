// @attnzoo/attention/bench: the attention benchmarks `attnzoo bench attention|fused` run.
export {
  type AttentionBenchmarkOptions,
  type AttentionBenchmarkRow,
  benchmarkAttention,
} from './bench/attention-benchmark';
export {
  benchmarkFusedAttention,
  checkFusedAttention,
  type FusedBenchmarkOptions,
  type FusedBenchmarkPath,
  type FusedBenchmarkReport,
  type FusedBenchmarkRow,
  type FusedCheckRow,
  fusedBenchmarkMarkdown,
} from './bench/fused-benchmark';
