/**
 * A plain-JS float64 implementation of the four mechanisms, straight from docs/attention.md,
 * written for tests (here and for the fused kernels): no tfjs, no shared code with the layer.
 */
export type Matrix = number[][];

export interface ReferenceWeights {
  wq: Matrix;
  bq?: number[];
  wk?: Matrix;
  bk?: number[];
  wv?: Matrix;
  bv?: number[];
  wo: Matrix;
  bo?: number[];
  /** Super: Lmax × Lmax. */
  wa?: Matrix;
  ba?: number[];
}

export interface ReferenceOptions {
  numHeads: number;
  causal?: boolean;
  /** 1 = token, 0 = padding, length S. */
  keyMask?: number[];
}

export function matmul(a: Matrix, b: Matrix): Matrix {
  return a.map((row) => b[0].map((_, j) => row.reduce((sum, v, k) => sum + v * b[k][j], 0)));
}

function affine(x: Matrix, w?: Matrix, b?: number[]): Matrix {
  if (!w) return x.map((r) => [...r]);
  const y = matmul(x, w);
  return b ? y.map((r) => r.map((v, j) => v + b[j])) : y;
}

/** One example: query [L][d], context [S][dc] → output [L][d]. */
export function referenceAttention(
  query: Matrix,
  context: Matrix,
  w: ReferenceWeights,
  o: ReferenceOptions,
): Matrix {
  const L = query.length;
  const S = context.length;
  const d = w.wq[0].length;
  const dk = d / o.numHeads;
  const q = affine(query, w.wq, w.bq);
  const k = affine(context, w.wk, w.bk);
  let v = affine(context, w.wv, w.bv);
  if (w.wa) {
    const masked = v.map((row, s) => row.map((x) => x * (o.keyMask ? o.keyMask[s] : 1)));
    const wa = w.wa.slice(0, S).map((r, i) => r.slice(0, S).map((x, j) => (o.causal && j > i ? 0 : x)));
    v = matmul(wa, masked).map((row, s) => row.map((x) => x + (w.ba ? w.ba[s] : 0)));
  }
  const heads: Matrix = query.map(() => new Array(d).fill(0));
  for (let h = 0; h < o.numHeads; h++) {
    for (let i = 0; i < L; i++) {
      const scores: number[] = [];
      for (let j = 0; j < S; j++) {
        let s = 0;
        for (let c = h * dk; c < (h + 1) * dk; c++) s += q[i][c] * k[j][c];
        const hidden = (o.keyMask && o.keyMask[j] === 0) || (o.causal && j > i + (S - L));
        scores.push(hidden ? Number.NEGATIVE_INFINITY : s / Math.sqrt(dk));
      }
      const max = Math.max(...scores);
      const exps = scores.map((s) => (s === Number.NEGATIVE_INFINITY ? 0 : Math.exp(s - max)));
      const total = exps.reduce((a, b) => a + b, 0);
      for (let j = 0; j < S; j++) {
        const a = exps[j] / total;
        for (let c = h * dk; c < (h + 1) * dk; c++) heads[i][c] += a * v[j][c];
      }
    }
  }
  return affine(heads, w.wo, w.bo);
}
