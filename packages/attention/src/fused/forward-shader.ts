import {
  biasExpr,
  chunkProduct,
  comp,
  declareAcc,
  loadRows,
  loadTransposed,
  NEG,
  PARAMS,
  range,
  rowReduce,
} from './wgsl-blocks';

/** Tile shape of the forward kernel. */
export interface ForwardTiles {
  /** Query rows per workgroup (multiple of 4). */
  br: number;
  /** Keys per inner block (multiple of 4). */
  bc: number;
  /** Head-dimension chunk staged for the scores product. */
  dk: number;
  /** Keys per staged value chunk. */
  vk: number;
}

export interface ForwardShaderOptions {
  D: number;
  mask: boolean;
  causal: boolean;
  subgroups: boolean;
  tiles: ForwardTiles;
}

export function forwardLayout(D: number, t: ForwardTiles) {
  const TR = t.br / 4;
  const TC = t.bc / 4;
  const D4 = Math.ceil(D / 4);
  const NV = Math.ceil(D4 / TC);
  const D4P = NV * TC;
  const stageVec4 = Math.max(t.dk * (TR + TC), t.vk * D4P);
  const psVec4 = t.bc * TR;
  return { TR, TC, NT: TR * TC, D4P, NV, stageVec4, psVec4, redFloats: t.br * TC };
}

/** Workgroup memory the forward kernel needs, in bytes. */
export function forwardStorageBytes(D: number, t: ForwardTiles, subgroups: boolean): number {
  const l = forwardLayout(D, t);
  return (l.stageVec4 + l.psVec4) * 16 + (subgroups ? 0 : l.redFloats * 4);
}

/**
 * FlashAttention-2 style forward: one workgroup per (batch·head, block of br query rows); it
 * walks the key blocks of bc keys, staging Q/K chunks and then V chunks in workgroup memory,
 * keeps the running row max m, row sum l and the output rows in registers (online softmax),
 * and never writes a score to global memory. Outputs O [B,h,L,D] and the row logsumexp
 * [B,h,L] (for the recompute backward).
 * Bindings: 0 O (out), 1 LSE (out), 2 Q, 3 K, 4 V, [5 mask], then the uniforms.
 */
export function forwardShader(o: ForwardShaderOptions): string {
  const { D, mask, causal, subgroups, tiles } = o;
  const { br: BR, bc: BC, dk: DK, vk: VK } = tiles;
  const { TR, TC, NT, D4P, NV, stageVec4, psVec4 } = forwardLayout(D, tiles);
  const uniformBinding = mask ? 6 : 5;
  const rows = range(4);
  const cols = range(4);

  const scoreBlock = rows
    .map((i) => {
      const row = `(q0 + ty * 4 + ${i})`;
      const lines = cols.map((j) => {
        const col = `(k0 + tx * 4 + ${j})`;
        const bias = biasExpr({ mask, causal, maskVal: `mk.${comp[j]}`, row, col });
        return `    x${i}.${comp[j]} = select(${NEG}, s${i}.${comp[j]} * P.scale + (${bias}), ${col} < P.S);`;
      });
      return `  {\n${lines.join('\n')}\n  }`;
    })
    .join('\n');

  const pvInner = [
    `    { let p = ps[(j0 + jj) * ${TR} + ty];`,
    ...range(NV).flatMap((n) => [
      `      { let v = stage[jj * ${D4P} + ${n * TC} + tx];`,
      ...rows.map((i) => `        o${i}_${n} = fma(vec4<f32>(p.${comp[i]}), v, o${i}_${n});`),
      '      }',
    ]),
    '    }',
  ].join('\n');

  const store = rows
    .map((i) => {
      const lines = range(NV).flatMap((n) => [
        `      { let c = (${n * TC} + tx) * 4; let v = o${i}_${n} * inv;`,
        ...range(4).map(
          (t) => `        if (c + ${t} < ${D}) { O[qbase + r * ${D} + c + ${t}] = v.${comp[t]}; }`,
        ),
        '      }',
      ]);
      return `  { let r = q0 + ty * 4 + ${i};
    if (r < P.L) {
      let inv = 1.0 / l${i};
${lines.join('\n')}
      if (tx == 0) { LSE[bh * P.L + r] = m${i} + log(l${i}); }
    }
  }`;
    })
    .join('\n');

  return `${subgroups ? 'enable subgroups;\n' : ''}${PARAMS}
@group(0) @binding(0) var<storage, read_write> O: array<f32>;
@group(0) @binding(1) var<storage, read_write> LSE: array<f32>;
@group(0) @binding(2) var<storage, read> Q: array<f32>;
@group(0) @binding(3) var<storage, read> K: array<f32>;
@group(0) @binding(4) var<storage, read> V: array<f32>;
${mask ? '@group(0) @binding(5) var<storage, read> M: array<f32>;' : ''}
@group(0) @binding(${uniformBinding}) var<uniform> P: Params;

var<workgroup> stage: array<vec4<f32>, ${stageVec4}>;
var<workgroup> ps: array<vec4<f32>, ${psVec4}>;
${subgroups ? '' : `var<workgroup> red: array<f32, ${BR * TC}>;`}

@compute @workgroup_size(${NT})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let tx = i32(lid) % ${TC};
  let ty = i32(lid) / ${TC};
  let bh = i32(wg.y);
  let b = bh / P.H;
  let q0 = i32(wg.x) * ${BR};
  let qbase = bh * P.L * ${D};
  let kbase = bh * P.S * ${D};
  var nkb = (P.S + ${BC - 1}) / ${BC};
  if (${causal ? 'true' : 'false'} && P.skip != 0) {
    // Key blocks wholly after the last visible key of this query block are skipped.
    nkb = min(nkb, (q0 + ${BR - 1} + P.offset) / ${BC} + 1);
  }
${rows.map((i) => `  var m${i} = ${NEG};\n  var l${i} = 0.0;`).join('\n')}
${declareAcc('o', NV)}
  for (var kb = 0; kb < nkb; kb++) {
    let k0 = kb * ${BC};
${rows.map((i) => `    var s${i} = vec4<f32>(0.0);`).join('\n')}
    for (var d0 = 0; d0 < ${D}; d0 += ${DK}) {
      workgroupBarrier();
${loadTransposed({ src: 'Q', base: 'qbase', rowBase: 'q0', rowLimit: 'P.L', NR: BR, DK, D, NT, off: 0 })}
${loadTransposed({ src: 'K', base: 'kbase', rowBase: 'k0', rowLimit: 'P.S', NR: BC, DK, D, NT, off: DK * TR })}
      workgroupBarrier();
${chunkProduct({ acc: 's', aOff: 0, bOff: DK * TR, TR, TC, DK })}
    }
    var mk = vec4<f32>(1.0);
${
  mask
    ? range(4)
        .map((j) => `    { let c = k0 + tx * 4 + ${j}; if (c < P.S) { mk.${comp[j]} = M[b * P.S + c]; } }`)
        .join('\n')
    : ''
}
${rows.map((i) => `    var x${i} = vec4<f32>(0.0);`).join('\n')}
${scoreBlock}
${rows.map((i) => `    var mx${i} = max(max(x${i}.x, x${i}.y), max(x${i}.z, x${i}.w));`).join('\n')}
${rowReduce({ vars: rows.map((i) => `mx${i}`), op: 'max', TC, subgroups })}
${rows
  .map(
    (i) => `    {
      let mn = max(m${i}, mx${i});
      let alpha = exp(m${i} - mn);
      let p = exp(x${i} - vec4<f32>(mn));
      l${i} = l${i} * alpha + (p.x + p.y + p.z + p.w);
      m${i} = mn;
      x${i} = p;
${range(NV)
  .map((n) => `      o${i}_${n} = o${i}_${n} * alpha;`)
  .join('\n')}
    }`,
  )
  .join('\n')}
${cols.map((j) => `    ps[(tx * 4 + ${j}) * ${TR} + ty] = vec4<f32>(x0.${comp[j]}, x1.${comp[j]}, x2.${comp[j]}, x3.${comp[j]});`).join('\n')}
    for (var j0 = 0; j0 < ${BC}; j0 += ${VK}) {
      workgroupBarrier();
${loadRows({ src: 'V', base: 'kbase', rowBase: 'k0 + j0', rowLimit: 'P.S', NR: VK, D, D4P, NT, off: 0 })}
      workgroupBarrier();
      for (var jj = 0; jj < ${VK}; jj++) {
${pvInner}
      }
    }
  }
${rowReduce({ vars: rows.map((i) => `l${i}`), op: 'sum', TC, subgroups })}
${store}
}
`;
}
