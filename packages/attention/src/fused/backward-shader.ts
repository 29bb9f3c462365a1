import {
  biasExpr,
  chunkProduct,
  comp,
  declareAcc,
  loadRows,
  loadTransposed,
  PARAMS,
  range,
} from './wgsl-blocks';

/**
 * Recompute-based backward (FlashAttention-2): the probabilities are rebuilt from Q, K and the
 * saved row logsumexp, so nothing of size L × S is stored. Two kernels avoid atomics:
 * `dkdv` (one workgroup per key block, looping over query blocks) and `dq` (one workgroup per
 * query block, looping over key blocks). Delta = rowsum(dO ∘ O) comes in precomputed.
 */
export interface BackwardTiles {
  /** Rows per workgroup (keys for dkdv, queries for dq), multiple of 4. */
  rows: number;
  /** Columns per inner block (queries for dkdv, keys for dq), multiple of 4. */
  cols: number;
  dk: number;
  vk: number;
}

export interface BackwardShaderOptions {
  D: number;
  mask: boolean;
  causal: boolean;
  tiles: BackwardTiles;
}

export function backwardLayout(kind: 'dkdv' | 'dq', D: number, t: BackwardTiles) {
  const TR = t.rows / 4;
  const TC = t.cols / 4;
  const D4 = Math.ceil(D / 4);
  const NV = Math.ceil(D4 / TC);
  const D4P = NV * TC;
  const operands = kind === 'dkdv' ? 2 : 1;
  const stageVec4 = Math.max(2 * t.dk * (TR + TC), operands * t.vk * D4P);
  const tileVec4 = t.cols * TR * operands;
  return { TR, TC, NT: TR * TC, D4P, NV, stageVec4, tileVec4 };
}

export function backwardStorageBytes(kind: 'dkdv' | 'dq', D: number, t: BackwardTiles): number {
  const l = backwardLayout(kind, D, t);
  return (l.stageVec4 + l.tileVec4) * 16;
}

/**
 * Bindings, dkdv: 0 dK (out), 1 dV (out), 2 Q, 3 K, 4 V, 5 dO, 6 LD = [lse; delta], [7 mask], uniforms.
 * dq: 0 dQ (out), 1 Q, 2 K, 3 V, 4 dO, 5 LD, [6 mask], uniforms. P.p1 = B·h·L (where delta starts).
 */
export function backwardShader(kind: 'dkdv' | 'dq', o: BackwardShaderOptions): string {
  const { D, mask, causal, tiles } = o;
  const { rows: RB, cols: CB, dk: DK, vk: VK } = tiles;
  const { TR, TC, NT, D4P, NV, stageVec4, tileVec4 } = backwardLayout(kind, D, tiles);
  const dkdv = kind === 'dkdv';
  // LD = [lse; delta] in one binding: WebGPU's default is 8 storage buffers per stage.
  const names = dkdv ? ['dK', 'dV', 'Q', 'K', 'V', 'dO', 'LD'] : ['dQ', 'Q', 'K', 'V', 'dO', 'LD'];
  const outputs = dkdv ? 2 : 1;
  const decls = names.map(
    (n, i) =>
      `@group(0) @binding(${i}) var<storage, ${i < outputs ? 'read_write' : 'read'}> ${n}: array<f32>;`,
  );
  if (mask) decls.push(`@group(0) @binding(${names.length}) var<storage, read> M: array<f32>;`);
  decls.push(`@group(0) @binding(${names.length + (mask ? 1 : 0)}) var<uniform> P: Params;`);
  const I = range(4);

  // Row-side and column-side operands of the two score-shaped products S = A·Bᵀ, dP = C·Eᵀ.
  // dkdv: rows are keys (A = K, C = V), columns queries (B = Q, E = dO).
  // dq: rows are queries (A = Q, C = dO), columns keys (B = K, E = V).
  const rowLen = dkdv ? 'P.S' : 'P.L';
  const colLen = dkdv ? 'P.L' : 'P.S';
  const [A, B, C, E] = dkdv ? ['K', 'Q', 'V', 'dO'] : ['Q', 'K', 'dO', 'V'];
  const rowBase = dkdv ? 'kbase' : 'qbase';
  const colBase = dkdv ? 'qbase' : 'kbase';
  const off = { a: 0, b: DK * TR, c: DK * (TR + TC), e: DK * (2 * TR + TC) };
  const query = (i: number, j: number) => (dkdv ? `(c0 + tx * 4 + ${j})` : `(r0 + ty * 4 + ${i})`);
  const key = (i: number, j: number) => (dkdv ? `(r0 + ty * 4 + ${i})` : `(c0 + tx * 4 + ${j})`);

  const probs = I.map((i) => {
    const lines = range(4).map((j) => {
      const q = query(i, j);
      const k = key(i, j);
      const maskVal = dkdv ? `mk.${comp[i]}` : `mk.${comp[j]}`;
      const bias = biasExpr({ mask, causal, maskVal, row: q, col: k });
      const lse = dkdv ? `lse.${comp[j]}` : `lse.${comp[i]}`;
      const delta = dkdv ? `dl.${comp[j]}` : `dl.${comp[i]}`;
      return `    { let ok = ${q} < P.L && ${k} < P.S;
      let p = select(0.0, exp(s${i}.${comp[j]} * P.scale + (${bias}) - ${lse}), ok);
      pr${i}.${comp[j]} = p;
      g${i}.${comp[j]} = p * (g${i}.${comp[j]} - ${delta}); }`;
    });
    return lines.join('\n');
  }).join('\n');

  // Second phase: acc[row][:] += tile[col][row] · X[col][:], X staged by rows of D.
  const second = dkdv
    ? [
        { acc: 'dv', tile: 0, src: 'dO', stageOff: 0 },
        { acc: 'dk', tile: CB * TR, src: 'Q', stageOff: VK * D4P },
      ]
    : [{ acc: 'dq', tile: 0, src: 'K', stageOff: 0 }];
  const secondInner = second
    .map((s) =>
      [
        `        { let p = tile[${s.tile} + (j0 + jj) * ${TR} + ty];`,
        ...range(NV).flatMap((n) => [
          `          { let v = stage[${s.stageOff} + jj * ${D4P} + ${n * TC} + tx];`,
          ...I.map(
            (i) => `            ${s.acc}${i}_${n} = fma(vec4<f32>(p.${comp[i]}), v, ${s.acc}${i}_${n});`,
          ),
          '          }',
        ]),
        '        }',
      ].join('\n'),
    )
    .join('\n');

  const storeAcc = (acc: string, out: string) =>
    I.map((i) => {
      const lines = range(NV).flatMap((n) => [
        `      { let c = (${n * TC} + tx) * 4; let v = ${acc}${i}_${n}${acc === 'dv' ? '' : ' * P.scale'};`,
        ...range(4).map(
          (t) => `        if (c + ${t} < ${D}) { ${out}[${rowBase} + r * ${D} + c + ${t}] = v.${comp[t]}; }`,
        ),
        '      }',
      ]);
      return `  { let r = r0 + ty * 4 + ${i};\n    if (r < ${rowLen}) {\n${lines.join('\n')}\n    }\n  }`;
    }).join('\n');

  // Column blocks to visit: causal skipping (when every query sees at least key 0).
  const loopBounds = dkdv
    ? `  var cstart = 0;
  let ncb = (P.L + ${CB - 1}) / ${CB};
  if (${causal} && P.skip != 0) { cstart = max(0, r0 - P.offset) / ${CB}; }`
    : `  let cstart = 0;
  var ncb = (P.S + ${CB - 1}) / ${CB};
  if (${causal} && P.skip != 0) { ncb = min(ncb, (r0 + ${RB - 1} + P.offset) / ${CB} + 1); }`;

  // Per-query values (lse, delta) and per-key mask, in registers.
  const perQuery = (reg: string, src: 'LSE' | 'Delta') =>
    dkdv
      ? range(4)
          .map(
            (j) =>
              `    { let q = c0 + tx * 4 + ${j}; if (q < P.L) { ${reg}.${comp[j]} = LD[${src === 'Delta' ? 'P.p1 + ' : ''}bh * P.L + q]; } }`,
          )
          .join('\n')
      : range(4)
          .map(
            (i) =>
              `  { let q = r0 + ty * 4 + ${i}; if (q < P.L) { ${reg}.${comp[i]} = LD[${src === 'Delta' ? 'P.p1 + ' : ''}bh * P.L + q]; } }`,
          )
          .join('\n');
  const maskLoad = !mask
    ? ''
    : dkdv
      ? range(4)
          .map((i) => `  { let k = r0 + ty * 4 + ${i}; if (k < P.S) { mk.${comp[i]} = M[b * P.S + k]; } }`)
          .join('\n')
      : range(4)
          .map((j) => `    { let k = c0 + tx * 4 + ${j}; if (k < P.S) { mk.${comp[j]} = M[b * P.S + k]; } }`)
          .join('\n');

  return `${PARAMS}
${decls.join('\n')}

var<workgroup> stage: array<vec4<f32>, ${stageVec4}>;
var<workgroup> tile: array<vec4<f32>, ${tileVec4}>;

@compute @workgroup_size(${NT})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let tx = i32(lid) % ${TC};
  let ty = i32(lid) / ${TC};
  let bh = i32(wg.y);
  let b = bh / P.H;
  let r0 = i32(wg.x) * ${RB};
  let qbase = bh * P.L * ${D};
  let kbase = bh * P.S * ${D};
${loopBounds}
${second.map((s) => declareAcc(s.acc, NV)).join('\n')}
  var lse = vec4<f32>(0.0);
  var dl = vec4<f32>(0.0);
  var mk = vec4<f32>(1.0);
${dkdv ? maskLoad : `${perQuery('lse', 'LSE')}\n${perQuery('dl', 'Delta')}`}
  for (var cb = cstart; cb < ncb; cb++) {
    let c0 = cb * ${CB};
${dkdv ? `${perQuery('lse', 'LSE')}\n${perQuery('dl', 'Delta')}` : maskLoad}
${I.map((i) => `    var s${i} = vec4<f32>(0.0);\n    var g${i} = vec4<f32>(0.0);\n    var pr${i} = vec4<f32>(0.0);`).join('\n')}
    for (var d0 = 0; d0 < ${D}; d0 += ${DK}) {
      workgroupBarrier();
${loadTransposed({ src: A, base: rowBase, rowBase: 'r0', rowLimit: rowLen, NR: RB, DK, D, NT, off: off.a })}
${loadTransposed({ src: B, base: colBase, rowBase: 'c0', rowLimit: colLen, NR: CB, DK, D, NT, off: off.b })}
${loadTransposed({ src: C, base: rowBase, rowBase: 'r0', rowLimit: rowLen, NR: RB, DK, D, NT, off: off.c })}
${loadTransposed({ src: E, base: colBase, rowBase: 'c0', rowLimit: colLen, NR: CB, DK, D, NT, off: off.e })}
      workgroupBarrier();
${chunkProduct({ acc: 's', aOff: off.a, bOff: off.b, TR, TC, DK })}
${chunkProduct({ acc: 'g', aOff: off.c, bOff: off.e, TR, TC, DK })}
    }
${probs}
${
  dkdv
    ? range(4)
        .map(
          (j) =>
            `    tile[(tx * 4 + ${j}) * ${TR} + ty] = vec4<f32>(pr0.${comp[j]}, pr1.${comp[j]}, pr2.${comp[j]}, pr3.${comp[j]});\n` +
            `    tile[${CB * TR} + (tx * 4 + ${j}) * ${TR} + ty] = vec4<f32>(g0.${comp[j]}, g1.${comp[j]}, g2.${comp[j]}, g3.${comp[j]});`,
        )
        .join('\n')
    : range(4)
        .map(
          (j) =>
            `    tile[(tx * 4 + ${j}) * ${TR} + ty] = vec4<f32>(g0.${comp[j]}, g1.${comp[j]}, g2.${comp[j]}, g3.${comp[j]});`,
        )
        .join('\n')
}
    for (var j0 = 0; j0 < ${CB}; j0 += ${VK}) {
      workgroupBarrier();
${second.map((s) => loadRows({ src: s.src, base: colBase, rowBase: 'c0 + j0', rowLimit: colLen, NR: VK, D, D4P, NT, off: s.stageOff })).join('\n')}
      workgroupBarrier();
      for (var jj = 0; jj < ${VK}; jj++) {
${secondInner}
      }
    }
  }
${dkdv ? `${storeAcc('dk', 'dK')}\n${storeAcc('dv', 'dV')}` : storeAcc('dq', 'dQ')}
}
`;
}
