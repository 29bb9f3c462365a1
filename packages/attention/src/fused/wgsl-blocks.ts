/**
 * Pieces of WGSL shared by the fused forward and backward kernels. Everything is generated
 * unrolled (micro-tiles of 4 × 4 in named registers) so that the shader compiler keeps the
 * accumulators in registers instead of indexing private arrays.
 *
 * Layout conventions: a workgroup owns RB rows (4 per thread, `ty`) and CB columns (4 per
 * thread, `tx`), TR = RB / 4, TC = CB / 4, lid = ty * TC + tx. `stage` is one workgroup array
 * of vec4 reused for every staged tile (barriers separate the uses).
 */

export const NEG = '-3.0e38';

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);
export const comp = ['x', 'y', 'z', 'w'];

/**
 * Loads rows [rowBase, rowBase + NR) × head columns [d0, d0 + DK) of a row-major [*, D] matrix
 * into stage[off + kk * (NR / 4) + r4] = vec4(rows r4*4 .. r4*4+3 at column d0 + kk): the
 * transposed layout that lets one vec4 read give a thread its four rows.
 */
export function loadTransposed(o: {
  src: string;
  base: string;
  rowBase: string;
  rowLimit: string;
  NR: number;
  DK: number;
  D: number;
  NT: number;
  off: number;
}): string {
  const { src, base, rowBase, rowLimit, NR, DK, D, NT, off } = o;
  const loads = range(4)
    .map(
      (t) =>
        `      { let r = ${rowBase} + r4 * 4 + ${t}; if (r < ${rowLimit}) { v.${comp[t]} = ${src}[${base} + r * ${D} + d]; } }`,
    )
    .join('\n');
  return `
  for (var e = i32(lid); e < ${(NR / 4) * DK}; e += ${NT}) {
    let kk = e % ${DK};
    let r4 = e / ${DK};
    let d = d0 + kk;
    var v = vec4<f32>(0.0);
    if (d < ${D}) {
${loads}
    }
    stage[${off} + kk * ${NR / 4} + r4] = v;
  }`;
}

/** Loads rows [rowBase, rowBase + NR) × all D columns into stage[off + jj * D4P + c4] (vec4 along D). */
export function loadRows(o: {
  src: string;
  base: string;
  rowBase: string;
  rowLimit: string;
  NR: number;
  D: number;
  D4P: number;
  NT: number;
  off: number;
}): string {
  const { src, base, rowBase, rowLimit, NR, D, D4P, NT, off } = o;
  const loads = range(4)
    .map((t) => `      if (c + ${t} < ${D}) { v.${comp[t]} = ${src}[${base} + r * ${D} + c + ${t}]; }`)
    .join('\n');
  return `
  for (var e = i32(lid); e < ${NR * D4P}; e += ${NT}) {
    let jj = e / ${D4P};
    let c = (e % ${D4P}) * 4;
    let r = ${rowBase} + jj;
    var v = vec4<f32>(0.0);
    if (r < ${rowLimit}) {
${loads}
    }
    stage[${off} + e] = v;
  }`;
}

/**
 * acc_i (vec4 over the thread's 4 columns) += A[row i] · B[cols] over one staged chunk of DK,
 * A at stage[aOff + kk * TR + ty], B at stage[bOff + kk * TC + tx].
 */
export function chunkProduct(o: {
  acc: string;
  aOff: number;
  bOff: number;
  TR: number;
  TC: number;
  DK: number;
}) {
  const { acc, aOff, bOff, TR, TC, DK } = o;
  const lines: string[] = [];
  for (let kk = 0; kk < DK; kk++) {
    lines.push(`    { let a = stage[${aOff + kk * TR} + ty]; let b = stage[${bOff + kk * TC} + tx];`);
    for (let i = 0; i < 4; i++) lines.push(`      ${acc}${i} = fma(vec4<f32>(a.${comp[i]}), b, ${acc}${i});`);
    lines.push('    }');
  }
  return lines.join('\n');
}

/** Declares `name{i}_{n}` vec4 accumulators (4 rows × NV vec4 columns). */
export function declareAcc(name: string, NV: number): string {
  return range(4)
    .flatMap((i) => range(NV).map((n) => `  var ${name}${i}_${n} = vec4<f32>(0.0);`))
    .join('\n');
}

/**
 * Row reduction across the TC threads that share a row group (same ty): with subgroups a
 * butterfly of shuffles (lanes ty*TC .. ty*TC+TC-1 lie in one subgroup when its size ≥ TC),
 * otherwise through workgroup memory `red` [RB * TC].
 */
export function rowReduce(o: { vars: string[]; op: 'max' | 'sum'; TC: number; subgroups: boolean }): string {
  const { vars, op, TC, subgroups } = o;
  const f = (a: string, b: string) => (op === 'max' ? `max(${a}, ${b})` : `(${a} + ${b})`);
  if (subgroups) {
    const lines: string[] = [];
    for (let off = TC >> 1; off >= 1; off >>= 1) {
      for (const v of vars) lines.push(`  ${v} = ${f(v, `subgroupShuffleXor(${v}, ${off}u)`)};`);
    }
    return lines.join('\n');
  }
  const lines: string[] = [];
  vars.forEach((v, i) => {
    lines.push(`  red[(ty * 4 + ${i}) * ${TC} + tx] = ${v};`);
  });
  lines.push('  workgroupBarrier();');
  vars.forEach((v, i) => {
    lines.push(`  { var r = red[(ty * 4 + ${i}) * ${TC}];`);
    lines.push(`    for (var t = 1; t < ${TC}; t++) { r = ${f('r', `red[(ty * 4 + ${i}) * ${TC} + t]`)}; }`);
    lines.push(`    ${v} = r; }`);
  });
  lines.push('  workgroupBarrier();');
  return lines.join('\n');
}

export const PARAMS = `
struct Params {
  H: i32,
  L: i32,
  S: i32,
  offset: i32,
  scale: f32,
  skip: i32,
  p1: i32,
  p2: i32,
};`;

/** The uniform block matching PARAMS. */
export function paramsBuffer(p: {
  H: number;
  L: number;
  S: number;
  offset: number;
  scale: number;
  skip: boolean;
  /** Backward: B·h·L, the offset of Delta in the LD buffer. */
  rowsTotal?: number;
}): ArrayBuffer {
  const buf = new ArrayBuffer(32);
  const i = new Int32Array(buf);
  const f = new Float32Array(buf);
  i[0] = p.H;
  i[1] = p.L;
  i[2] = p.S;
  i[3] = p.offset;
  f[4] = p.scale;
  i[5] = p.skip ? 1 : 0;
  i[6] = p.rowsTotal ?? 0;
  return buf;
}

/**
 * The additive mask bias for (row, col), written like the unfused path computes it
 * (paddingBias + causalBias, then added to the scaled score) so both round the same way.
 */
export function biasExpr(o: { mask: boolean; causal: boolean; maskVal: string; row: string; col: string }) {
  const parts: string[] = [];
  if (o.mask) parts.push(`(1.0 - ${o.maskVal}) * -1e9`);
  if (o.causal) parts.push(`select(0.0, -1e9, ${o.col} > ${o.row} + P.offset)`);
  if (parts.length === 0) return '0.0';
  return parts.join(' + ');
}
