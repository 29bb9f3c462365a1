import { MAX_WORKGROUPS_X } from '@attnzoo/runtime';

/**
 * WGSL of the fused layer norm: one workgroup of 64 threads per row for the forward pass and
 * dx (tree reductions in workgroup memory), and per-block column sums for dγ and dβ. Rows are
 * [rows, D] row-major; Stats holds (mean, 1/σ) per row, saved by the forward for the backward.
 */

const THREADS = 64;

/** Rows summed by one workgroup of the dγ/dβ kernel. */
export const ROWS_PER_BLOCK = 64;

const PARAMS = `
struct Params { rows: i32, D: i32, eps: f32, rowsPerBlock: i32 }
`;

const ROW = `
  let row = i32(wid.x) + i32(wid.y) * ${MAX_WORKGROUPS_X};
  if (row >= P.rows) { return; }
  let base = row * P.D;`;

/** Two reduction arrays: the forward's second sum must not overwrite the first while it is read. */
const WORKGROUP = `var<workgroup> redA : array<vec2<f32>, ${THREADS}>;
var<workgroup> redB : array<vec2<f32>, ${THREADS}>;`;

/**
 * `let out = Σ value` over the workgroup, every thread getting the total, in workgroup array
 * `red`. Consecutive sums use different arrays: reusing one, threads past the first 8 on Mesa's
 * software adapter read the next sum's partial values (its GL barrier orders execution, not
 * workgroup memory), which a second array avoids at no cost on GPUs.
 */
const reduce2 = (red: string, out: string, value: string) => `
  ${red}[lid] = ${value};
  workgroupBarrier();
${[32, 16, 8, 4, 2, 1].map((s) => `  if (lid < ${s}u) { ${red}[lid] = ${red}[lid] + ${red}[lid + ${s}u]; }\n  workgroupBarrier();`).join('\n')}
  let ${out} = ${red}[0];`;

/** y = (x − mean) / σ · γ + β, with σ² the mean squared deviation (two passes, like the unfused ops). */
export const FORWARD = `${PARAMS}
@group(0) @binding(0) var<storage, read_write> Y : array<f32>;
@group(0) @binding(1) var<storage, read_write> Stats : array<f32>;
@group(0) @binding(2) var<storage, read> X : array<f32>;
@group(0) @binding(3) var<storage, read> Gamma : array<f32>;
@group(0) @binding(4) var<storage, read> Beta : array<f32>;
@group(0) @binding(5) var<uniform> P : Params;
${WORKGROUP}
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) lid : u32) {
${ROW}
  var s = 0.0;
  for (var j = i32(lid); j < P.D; j += ${THREADS}) { s += X[base + j]; }
${reduce2('redA', 'sumX', 'vec2<f32>(s, 0.0)')}
  let mean = sumX.x / f32(P.D);
  var q = 0.0;
  for (var j = i32(lid); j < P.D; j += ${THREADS}) { let c = X[base + j] - mean; q += c * c; }
${reduce2('redB', 'sumQ', 'vec2<f32>(q, 0.0)')}
  let rstd = inverseSqrt(sumQ.x / f32(P.D) + P.eps);
  for (var j = i32(lid); j < P.D; j += ${THREADS}) {
    Y[base + j] = (X[base + j] - mean) * rstd * Gamma[j] + Beta[j];
  }
  if (lid == 0u) {
    Stats[row * 2] = mean;
    Stats[row * 2 + 1] = rstd;
  }
}`;

/** dx = (g − mean(g) − x̂ · mean(g · x̂)) / σ with g = dy · γ and x̂ = (x − mean) / σ. */
export const BACKWARD_DX = `${PARAMS}
@group(0) @binding(0) var<storage, read_write> DX : array<f32>;
@group(0) @binding(1) var<storage, read> DY : array<f32>;
@group(0) @binding(2) var<storage, read> X : array<f32>;
@group(0) @binding(3) var<storage, read> Gamma : array<f32>;
@group(0) @binding(4) var<storage, read> Stats : array<f32>;
@group(0) @binding(5) var<uniform> P : Params;
${WORKGROUP}
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) lid : u32) {
${ROW}
  let mean = Stats[row * 2];
  let rstd = Stats[row * 2 + 1];
  var acc = vec2<f32>(0.0);
  for (var j = i32(lid); j < P.D; j += ${THREADS}) {
    let g = DY[base + j] * Gamma[j];
    acc += vec2<f32>(g, g * (X[base + j] - mean) * rstd);
  }
${reduce2('redA', 'total', 'acc')}
  let sums = total / f32(P.D);
  for (var j = i32(lid); j < P.D; j += ${THREADS}) {
    let g = DY[base + j] * Gamma[j];
    let xhat = (X[base + j] - mean) * rstd;
    DX[base + j] = (g - sums.x - xhat * sums.y) * rstd;
  }
}`;

/**
 * Partial dγ = Σ dy · x̂ and dβ = Σ dy over a block of rows, per column: Part[block][0|1][column].
 * Threads of a workgroup take consecutive columns of a row (coalesced reads).
 */
export const BACKWARD_PARTIALS = `${PARAMS}
@group(0) @binding(0) var<storage, read_write> Part : array<f32>;
@group(0) @binding(1) var<storage, read> DY : array<f32>;
@group(0) @binding(2) var<storage, read> X : array<f32>;
@group(0) @binding(3) var<storage, read> Stats : array<f32>;
@group(0) @binding(4) var<uniform> P : Params;
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) lid : u32) {
  let j = i32(wid.x) * ${THREADS} + i32(lid);
  let block = i32(wid.y);
  if (j >= P.D) { return; }
  let first = block * P.rowsPerBlock;
  let last = min(P.rows, first + P.rowsPerBlock);
  var dgamma = 0.0;
  var dbeta = 0.0;
  for (var r = first; r < last; r++) {
    let dy = DY[r * P.D + j];
    dgamma += dy * (X[r * P.D + j] - Stats[r * 2]) * Stats[r * 2 + 1];
    dbeta += dy;
  }
  Part[(block * 2) * P.D + j] = dgamma;
  Part[(block * 2 + 1) * P.D + j] = dbeta;
}`;

/** dγ and dβ: each column's partial sums over the blocks, added up in one pass. */
export const BACKWARD_SUM = `${PARAMS}
@group(0) @binding(0) var<storage, read_write> DGamma : array<f32>;
@group(0) @binding(1) var<storage, read_write> DBeta : array<f32>;
@group(0) @binding(2) var<storage, read> Part : array<f32>;
@group(0) @binding(3) var<uniform> P : Params;
@compute @workgroup_size(${THREADS})
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
  let j = i32(gid.x);
  if (j >= P.D) { return; }
  let blocks = (P.rows + P.rowsPerBlock - 1) / P.rowsPerBlock;
  var dgamma = 0.0;
  var dbeta = 0.0;
  for (var b = 0; b < blocks; b++) {
    dgamma += Part[(b * 2) * P.D + j];
    dbeta += Part[(b * 2 + 1) * P.D + j];
  }
  DGamma[j] = dgamma;
  DBeta[j] = dbeta;
}`;

export function layerNormParams(rows: number, D: number, eps: number, rowsPerBlock = 0): ArrayBuffer {
  const buf = new ArrayBuffer(16);
  new Int32Array(buf, 0, 2).set([rows, D]);
  new Float32Array(buf, 8, 1)[0] = eps;
  new Int32Array(buf, 12, 1)[0] = rowsPerBlock;
  return buf;
}
