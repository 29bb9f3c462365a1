// AssemblyScript source of the wasm SIMD kernel behind @attnzoo/runtime's batched BatchMatMul on
// tfjs-backend-wasm (compiled by `pnpm --filter @attnzoo/runtime build:kernels` into
// src/wasm-batched-matmul.wasm.ts). It works in the memory of tfjs's own wasm module, which it
// imports: so it must own no data, and reads and writes only through the pointers it is given.

// @ts-nocheck: AssemblyScript types (usize, f32, v128), compiled by asc, not tsc.

/**
 * C[t] = A[t] · B[t] for t < batch: A[t] is M × K, B[t] is K × N, C[t] is M × N, row-major float32.
 * Pointers are byte offsets; aStride / bStride are the elements between consecutive batches of A
 * and B (0 repeats one matrix for every batch). Blocks of 4 rows × 8 columns keep 8 accumulators
 * in registers; the edges fall back to 4 columns, then to scalars.
 */
export function batchedMatMul(
  a: usize,
  b: usize,
  c: usize,
  batch: i32,
  m: i32,
  n: i32,
  k: i32,
  aStride: i32,
  bStride: i32,
): void {
  const rowA: usize = (<usize>k) << 2;
  const rowC: usize = (<usize>n) << 2;
  for (let t = 0; t < batch; t++) {
    const A = a + ((<usize>t * <usize>aStride) << 2);
    const B = b + ((<usize>t * <usize>bStride) << 2);
    const C = c + ((<usize>t * <usize>m * <usize>n) << 2);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const a0 = A + <usize>i * rowA;
      const a1 = a0 + rowA;
      const a2 = a1 + rowA;
      const a3 = a2 + rowA;
      const c0 = C + <usize>i * rowC;
      let j = 0;
      for (; j + 8 <= n; j += 8) {
        let s00 = f32x4.splat(0);
        let s01 = f32x4.splat(0);
        let s10 = f32x4.splat(0);
        let s11 = f32x4.splat(0);
        let s20 = f32x4.splat(0);
        let s21 = f32x4.splat(0);
        let s30 = f32x4.splat(0);
        let s31 = f32x4.splat(0);
        let pb = B + ((<usize>j) << 2);
        for (let p = 0; p < k; p++) {
          const off = (<usize>p) << 2;
          const b0 = v128.load(pb);
          const b1 = v128.load(pb, 16);
          const x0 = f32x4.splat(load<f32>(a0 + off));
          const x1 = f32x4.splat(load<f32>(a1 + off));
          const x2 = f32x4.splat(load<f32>(a2 + off));
          const x3 = f32x4.splat(load<f32>(a3 + off));
          s00 = f32x4.add(s00, f32x4.mul(x0, b0));
          s01 = f32x4.add(s01, f32x4.mul(x0, b1));
          s10 = f32x4.add(s10, f32x4.mul(x1, b0));
          s11 = f32x4.add(s11, f32x4.mul(x1, b1));
          s20 = f32x4.add(s20, f32x4.mul(x2, b0));
          s21 = f32x4.add(s21, f32x4.mul(x2, b1));
          s30 = f32x4.add(s30, f32x4.mul(x3, b0));
          s31 = f32x4.add(s31, f32x4.mul(x3, b1));
          pb += rowC;
        }
        const o = c0 + ((<usize>j) << 2);
        v128.store(o, s00);
        v128.store(o, s01, 16);
        v128.store(o + rowC, s10);
        v128.store(o + rowC, s11, 16);
        v128.store(o + 2 * rowC, s20);
        v128.store(o + 2 * rowC, s21, 16);
        v128.store(o + 3 * rowC, s30);
        v128.store(o + 3 * rowC, s31, 16);
      }
      for (; j + 4 <= n; j += 4) {
        let s0 = f32x4.splat(0);
        let s1 = f32x4.splat(0);
        let s2 = f32x4.splat(0);
        let s3 = f32x4.splat(0);
        let pb = B + ((<usize>j) << 2);
        for (let p = 0; p < k; p++) {
          const off = (<usize>p) << 2;
          const bv = v128.load(pb);
          s0 = f32x4.add(s0, f32x4.mul(f32x4.splat(load<f32>(a0 + off)), bv));
          s1 = f32x4.add(s1, f32x4.mul(f32x4.splat(load<f32>(a1 + off)), bv));
          s2 = f32x4.add(s2, f32x4.mul(f32x4.splat(load<f32>(a2 + off)), bv));
          s3 = f32x4.add(s3, f32x4.mul(f32x4.splat(load<f32>(a3 + off)), bv));
          pb += rowC;
        }
        const o = c0 + ((<usize>j) << 2);
        v128.store(o, s0);
        v128.store(o + rowC, s1);
        v128.store(o + 2 * rowC, s2);
        v128.store(o + 3 * rowC, s3);
      }
      for (; j < n; j++) {
        for (let r = 0; r < 4; r++) {
          const ar = a0 + <usize>r * rowA;
          let s: f32 = 0;
          for (let p = 0; p < k; p++)
            s += load<f32>(ar + ((<usize>p) << 2)) * load<f32>(B + <usize>p * rowC + ((<usize>j) << 2));
          store<f32>(c0 + <usize>r * rowC + ((<usize>j) << 2), s);
        }
      }
    }
    for (; i < m; i++) {
      const ar = A + <usize>i * rowA;
      const cr = C + <usize>i * rowC;
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        let s = f32x4.splat(0);
        let pb = B + ((<usize>j) << 2);
        for (let p = 0; p < k; p++) {
          s = f32x4.add(s, f32x4.mul(f32x4.splat(load<f32>(ar + ((<usize>p) << 2))), v128.load(pb)));
          pb += rowC;
        }
        v128.store(cr + ((<usize>j) << 2), s);
      }
      for (; j < n; j++) {
        let s: f32 = 0;
        for (let p = 0; p < k; p++)
          s += load<f32>(ar + ((<usize>p) << 2)) * load<f32>(B + <usize>p * rowC + ((<usize>j) << 2));
        store<f32>(cr + ((<usize>j) << 2), s);
      }
    }
  }
}
