/**
 * WGSL for C[b] = op(A[b]) · op(B[b]) (+ bias, activation) in float32, where op transposes when
 * asked: a register-tiled product with both tiles staged k-major in workgroup memory, so that
 * every layout (A or B transposed or not) reads global memory along its contiguous axis and the
 * inner loop reads vec4s. tfjs 4.22's own kernels reach 1–7 TFLOP/s on an H200 at the zoo's
 * shapes (docs/webgpu-engine.md); the two shapes they lose most on are served here by
 * - large tiles (up to 128 × 128, 8 × 8 per thread) for the tall forward products, and
 * - a split reduction (`splits` > 1: each workgroup sums one slice of K into a partial buffer,
 *   a second pass adds the slices) for weight gradients, whose 192 × 192 output over K = 33,280
 *   gives a tiled kernel only a few dozen workgroups.
 */

export interface GemmTile {
  /** Threads along N and M (workgroup size WX × WY). */
  wx: number;
  wy: number;
  /** Outputs per thread along M and N: multiples of 4 (vec4 columns of the staged tiles). */
  tm: number;
  tn: number;
  /** Depth of one staged K slice. */
  bk: number;
}

export type GemmActivation = 'linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid';

export interface GemmShaderOptions {
  tile: GemmTile;
  transposeA: boolean;
  transposeB: boolean;
  /** > 1: write partial sums of K slices to C laid out [splits, batch, M, N]; no epilogue. */
  split: boolean;
  bias: boolean;
  activation: GemmActivation;
  /** Operands 16-byte aligned along their contiguous axis (K, or M/N when transposed): vec4 reads. */
  vecA?: boolean;
  vecB?: boolean;
}

export const GEMM_ACTIVATIONS: readonly GemmActivation[] = ['linear', 'relu', 'relu6', 'elu', 'sigmoid'];

/** Uniform layout shared by the shader and the host (8 × u32). */
export const GEMM_UNIFORM_WORDS = 8;

export function tileRows(t: GemmTile): number {
  return t.wy * t.tm;
}

export function tileCols(t: GemmTile): number {
  return t.wx * t.tn;
}

function activationExpr(activation: GemmActivation, v: string): string {
  switch (activation) {
    case 'linear':
      return v;
    case 'relu':
      return `max(${v}, vec4<f32>(0.0))`;
    case 'relu6':
      return `clamp(${v}, vec4<f32>(0.0), vec4<f32>(6.0))`;
    case 'elu':
      return `select(exp(${v}) - vec4<f32>(1.0), ${v}, ${v} >= vec4<f32>(0.0))`;
    case 'sigmoid':
      return `1.0 / (1.0 + exp(-${v}))`;
  }
}

/**
 * How one operand's tile goes from global to workgroup memory, k-major (`S[k * rows/4 + r/4][r % 4]`),
 * through registers so that the next tile's reads are in flight while the current one is used.
 * `contiguousK`: the operand is stored with K innermost (A not transposed, B transposed), so each
 * thread reads a run along K and scatters it; otherwise it reads a run along the rows and stores
 * whole vec4s. Guarded reads serve edge tiles and the last K slice; interior tiles read without
 * guards, as vec4s where `vec` says the operand is 16-byte aligned along its contiguous axis (the
 * buffer is then bound as array<vec4<f32>>).
 */
interface Staging {
  /** Thread constants and the registers (declared once). */
  setup: string;
  /** Reads the tile starting at k0 into the registers. */
  readGuarded: string;
  readInterior: string;
  /** Writes the registers into workgroup memory. */
  write: string;
}

function staging(
  name: 'A' | 'B',
  rows: number,
  bk: number,
  threads: number,
  contiguousK: boolean,
  extent: string,
  vec: boolean,
): Staging {
  const per = (rows * bk) / threads;
  const r4 = rows / 4;
  const base = name === 'A' ? 'aBase' : 'bBase';
  const row0 = name === 'A' ? 'm0' : 'n0';
  const S = `${name}s`;
  const ld = `ld${name}`;
  const x = name.toLowerCase();
  const reg = (i: number) => `${x}r${i}`;
  const regs = Array.from({ length: per }, (_, i) => `var ${reg(i)} = 0.0;`).join(' ');
  const guarded: string[] = [];
  const interior: string[] = [];
  // `per` consecutive elements from `at` into the registers, unguarded: vec4s where aligned.
  const readRun = (): string[] => {
    if (!(vec && per % 4 === 0))
      return Array.from({ length: per }, (_, i) => `${reg(i)} = ${ld}(at + ${i}u);`);
    return Array.from({ length: per / 4 }, (_, q) =>
      [
        `{ let v = ${name}[(at >> 2u) + ${q}u];`,
        ...[0, 1, 2, 3].map((c) => `  ${reg(q * 4 + c)} = v.${'xyzw'[c]};`),
        '}',
      ].join(' '),
    );
  };
  const write: string[] = [];
  let setup: string;
  if (contiguousK) {
    // `per` consecutive k of one row: rows × (bk / per) threads.
    const perRow = bk / per;
    if (!Number.isInteger(perRow) || perRow < 1)
      throw new Error(`gemm tile: ${name} stage of ${per} per thread exceeds bk ${bk}`);
    setup = `let ${x}R = li / ${perRow}u; let ${x}K = (li % ${perRow}u) * ${per}u; let ${x}Row = ${row0} + ${x}R; ${regs}`;
    guarded.push(`let rowOk = ${x}Row < ${extent};`);
    for (let i = 0; i < per; i++)
      guarded.push(
        `{ let gk = k0 + ${x}K + ${i}u; ${reg(i)} = 0.0; if (rowOk && gk < kEnd) { ${reg(i)} = ${ld}(${base} + ${x}Row * p.K + gk); } }`,
      );
    interior.push(`let at = ${base} + ${x}Row * p.K + k0 + ${x}K;`);
    interior.push(...readRun());
    for (let i = 0; i < per; i++)
      write.push(`${S}[(${x}K + ${i}u) * ${r4}u + ${x}R / 4u][${x}R % 4u] = ${reg(i)};`);
  } else {
    // `per` consecutive rows at one k: bk × (rows / per) threads.
    const perK = rows / per;
    if (!Number.isInteger(perK) || perK < 1)
      throw new Error(`gemm tile: ${name} stage does not divide the rows`);
    setup = `let ${x}K = li / ${perK}u; let ${x}R = (li % ${perK}u) * ${per}u; ${regs}`;
    guarded.push(
      `let gk = k0 + ${x}K; let kOk = gk < kEnd; let kRow = ${base} + min(gk, p.K - 1u) * ${extent};`,
    );
    for (let i = 0; i < per; i++) {
      const gr = `${row0} + ${x}R + ${i}u`;
      guarded.push(
        `${reg(i)} = select(0.0, ${ld}(kRow + min(${gr}, ${extent} - 1u)), kOk && ${gr} < ${extent});`,
      );
    }
    interior.push(`let at = ${base} + (k0 + ${x}K) * ${extent} + ${row0} + ${x}R;`);
    interior.push(...readRun());
    if (per % 4 === 0) {
      for (let q = 0; q < per / 4; q++)
        write.push(
          `${S}[${x}K * ${r4}u + ${x}R / 4u + ${q}u] = vec4<f32>(${[0, 1, 2, 3].map((c) => reg(q * 4 + c)).join(', ')});`,
        );
    } else {
      for (let i = 0; i < per; i++)
        write.push(`${S}[${x}K * ${r4}u + (${x}R + ${i}u) / 4u][(${x}R + ${i}u) % 4u] = ${reg(i)};`);
    }
  }
  const block = (lines: string[]) => `{ ${lines.join('\n      ')} }`;
  return { setup, readGuarded: block(guarded), readInterior: block(interior), write: write.join('\n    ') };
}

/** The product kernel. Grid: x = N tiles, y = M tiles, z = batch × splits. */
export function gemmShader(o: GemmShaderOptions): string {
  const { tile: t } = o;
  const BM = tileRows(t);
  const BN = tileCols(t);
  const threads = t.wx * t.wy;
  const gm = t.tm / 4;
  const gn = t.tn / 4;
  for (const [name, n] of [
    ['A', BM * t.bk],
    ['B', BN * t.bk],
  ] as const) {
    if (n % threads !== 0) throw new Error(`gemm tile: ${name} stage not divisible`);
  }
  const bindings = [
    '@group(0) @binding(0) var<storage, read_write> C : array<f32>;',
    `@group(0) @binding(1) var<storage, read> A : array<${o.vecA ? 'vec4<f32>' : 'f32'}>;`,
    `@group(0) @binding(2) var<storage, read> B : array<${o.vecB ? 'vec4<f32>' : 'f32'}>;`,
  ];
  const loader = (n: 'A' | 'B', vec?: boolean) =>
    vec
      ? `fn ld${n}(i : u32) -> f32 { return ${n}[i >> 2u][i & 3u]; }`
      : `fn ld${n}(i : u32) -> f32 { return ${n}[i]; }`;
  if (o.bias) bindings.push('@group(0) @binding(3) var<storage, read> bias : array<f32>;');
  bindings.push(`@group(0) @binding(${o.bias ? 4 : 3}) var<uniform> p : Params;`);
  const sa = staging('A', BM, t.bk, threads, !o.transposeA, 'p.M', !!o.vecA);
  const sb = staging('B', BN, t.bk, threads, o.transposeB, 'p.N', !!o.vecB);

  // Accumulators acc_i_j: row i of the thread's rows, vec4 column group j.
  const accDecl: string[] = [];
  const fmas: string[] = [];
  for (let i = 0; i < t.tm; i++)
    for (let j = 0; j < gn; j++) accDecl.push(`var acc_${i}_${j} = vec4<f32>(0.0);`);
  for (let g = 0; g < gm; g++) fmas.push(`let a${g} = As[k * ${BM / 4}u + ty + ${g * t.wy}u];`);
  for (let j = 0; j < gn; j++) fmas.push(`let b${j} = Bs[k * ${BN / 4}u + tx + ${j * t.wx}u];`);
  for (let i = 0; i < t.tm; i++) {
    const g = Math.floor(i / 4);
    const c = 'xyzw'[i % 4];
    for (let j = 0; j < gn; j++)
      fmas.push(`acc_${i}_${j} = fma(vec4<f32>(a${g}.${c}), b${j}, acc_${i}_${j});`);
  }
  // Thread (tx, ty) owns rows ty*4 + g*WY*4 + (0..3) and columns tx*4 + j*WX*4 + (0..3).
  const stores: string[] = [];
  for (let i = 0; i < t.tm; i++) {
    const g = Math.floor(i / 4);
    const row = `m0 + ty * 4u + ${g * t.wy * 4 + (i % 4)}u`;
    for (let j = 0; j < gn; j++) {
      const col = `n0 + tx * 4u + ${j * t.wx * 4}u`;
      stores.push(`store(${row}, ${col}, acc_${i}_${j});`);
    }
  }
  const epilogue = o.split ? 'acc' : activationExpr(o.activation, o.bias ? 'biased(n, acc)' : 'acc');
  const read = (k0: string) => `{
    let k0 = ${k0};
    // Whole tiles (all but the edges of M and N) read without guards while a whole K slice remains.
    if (inside && k0 + ${t.bk}u <= kEnd) {
      ${sa.readInterior}
      ${sb.readInterior}
    } else {
      ${sa.readGuarded}
      ${sb.readGuarded}
    }
  }`;
  return `
struct Params { M : u32, N : u32, K : u32, kChunk : u32, aStride : u32, bStride : u32, batch : u32, splits : u32 }
${bindings.join('\n')}
var<workgroup> As : array<vec4<f32>, ${(BM / 4) * t.bk}>;
var<workgroup> Bs : array<vec4<f32>, ${(BN / 4) * t.bk}>;
${
  o.bias
    ? `fn biased(n : u32, v : vec4<f32>) -> vec4<f32> {
  return v + vec4<f32>(bias[min(n, p.N - 1u)], bias[min(n + 1u, p.N - 1u)], bias[min(n + 2u, p.N - 1u)], bias[min(n + 3u, p.N - 1u)]);
}`
    : ''
}
${loader('A', o.vecA)}
${loader('B', o.vecB)}
var<private> cBase : u32;
fn store(m : u32, n : u32, acc : vec4<f32>) {
  if (m >= p.M) { return; }
  let v = ${epilogue};
  let o = cBase + m * p.N + n;
  if (n + 3u < p.N) { C[o] = v.x; C[o + 1u] = v.y; C[o + 2u] = v.z; C[o + 3u] = v.w; return; }
  if (n < p.N) { C[o] = v.x; }
  if (n + 1u < p.N) { C[o + 1u] = v.y; }
  if (n + 2u < p.N) { C[o + 2u] = v.z; }
}
@compute @workgroup_size(${t.wx}, ${t.wy}, 1)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_id) lid : vec3<u32>,
        @builtin(local_invocation_index) li : u32) {
  let tx = lid.x;
  let ty = lid.y;
  let n0 = wid.x * ${BN}u;
  let m0 = wid.y * ${BM}u;
  let b = wid.z / p.splits;
  let s = wid.z % p.splits;
  let kStart = s * p.kChunk;
  let kEnd = min(p.K, kStart + p.kChunk);
  let aBase = b * p.aStride;
  let bBase = b * p.bStride;
  cBase = (s * p.batch + b) * p.M * p.N;
  let inside = m0 + ${BM}u <= p.M && n0 + ${BN}u <= p.N;
  ${sa.setup}
  ${sb.setup}
  ${accDecl.join('\n  ')}
  if (kStart < kEnd) ${read('kStart')}
  ${sa.write}
  ${sb.write}
  workgroupBarrier();
  for (var k0 = kStart; k0 < kEnd; k0 = k0 + ${t.bk}u) {
    // The next tile's reads go out before this tile's arithmetic (registers, then workgroup memory).
    let next = k0 + ${t.bk}u;
    if (next < kEnd) ${read('next')}
    for (var k = 0u; k < ${t.bk}u; k = k + 1u) {
      ${fmas.join('\n      ')}
    }
    workgroupBarrier();
    ${sa.write}
    ${sb.write}
    workgroupBarrier();
  }
  ${stores.join('\n  ')}
}`;
}

/** Sums the K slices of a split product ([splits, batch·M·N] → [batch·M·N]) and applies the epilogue. */
export function gemmSplitReduceShader(bias: boolean, activation: GemmActivation): string {
  return `
struct Params { total : u32, N : u32, splits : u32, pad : u32 }
@group(0) @binding(0) var<storage, read_write> C : array<f32>;
@group(0) @binding(1) var<storage, read> P : array<f32>;
${bias ? '@group(0) @binding(2) var<storage, read> bias : array<f32>;' : ''}
@group(0) @binding(${bias ? 3 : 2}) var<uniform> p : Params;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
  let i = gid.x + gid.y * ${65535 * 256}u;
  if (i >= p.total) { return; }
  var sum = 0.0;
  for (var s = 0u; s < p.splits; s = s + 1u) { sum = sum + P[s * p.total + i]; }
  ${bias ? 'sum = sum + bias[i % p.N];' : ''}
  let v = ${activationExpr(activation, 'vec4<f32>(sum)')};
  C[i] = v.x;
}`;
}
