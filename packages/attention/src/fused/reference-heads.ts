/**
 * Float64 attention heads for checking the fused kernels (tests and the on-device check of the
 * benchmark): plain JS, no tfjs, masks as in masks.ts (additive −1e9).
 */
/** Shape and masks of one attention call on [B, h, n, D] tensors. */
export type HeadsCase = {
  B: number;
  H: number;
  L: number;
  S: number;
  D: number;
  mask: boolean;
  causal: boolean;
};

/** Float64 per-head attention on flat [B, h, n, D] arrays, masks as in masks.ts (additive −1e9). */
export function referenceHeads(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  m: ArrayLike<number> | undefined,
  c: HeadsCase,
): number[] {
  const { B, H, L, S, D } = c;
  const out = new Array(B * H * L * D).fill(0);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < L; i++) {
        const qo = ((b * H + h) * L + i) * D;
        const scores: number[] = [];
        for (let j = 0; j < S; j++) {
          const ko = ((b * H + h) * S + j) * D;
          let s = 0;
          for (let d = 0; d < D; d++) s += q[qo + d] * k[ko + d];
          let bias = 0;
          if (m) bias += (1 - m[b * S + j]) * -1e9;
          if (c.causal && j > i + (S - L)) bias += -1e9;
          scores.push(s / Math.sqrt(D) + bias);
        }
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const total = e.reduce((a, x) => a + x, 0);
        for (let j = 0; j < S; j++) {
          const ko = ((b * H + h) * S + j) * D;
          for (let d = 0; d < D; d++) out[qo + d] += (e[j] / total) * v[ko + d];
        }
      }
  return out;
}
