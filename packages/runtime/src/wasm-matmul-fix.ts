import type * as tfCore from '@tensorflow/tfjs-core';
import { batchedMatMulIn } from './wasm-batched-matmul';
import { wasmKernelCalls } from './wasm-kernel-call';

type TensorInfo = tfCore.TensorInfo;

/** What the replacement reads of tfjs-backend-wasm's backend (4.22). */
interface WasmBackendInternals {
  wasm: { asm: { memory: WebAssembly.Memory } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tfCore.DataType): TensorInfo;
}

/**
 * A BatchMatMul for tfjs-backend-wasm 4.22 that keeps every float32 product off its scalar loop.
 * The stock kernel sends a product to XNNPACK only when neither side is transposed and neither has
 * a batch; every other product runs a scalar triple loop:
 * - both products of a dense layer's backward pass are transposed (dx = dy·Wᵀ, dW = xᵀ·dy): for a
 *   translator's 8000-way output layer ([2048, 256] × [256, 8000]) the loop took 6.6 s and 10.2 s
 *   against 0.5 s forward. Transposing the operand first (a copy, linear in its size) and
 *   multiplying untransposed on XNNPACK took 0.50 and 0.58 s. A batched left side over an
 *   unbatched right side folds into the rows of one such product.
 * - products of two batched operands (attention scores and values, [B, h, L, L] × [B, h, L, dk])
 *   have no XNNPACK path here: they go, untransposed, to a small SIMD kernel of our own
 *   (assembly/batched-matmul.ts) that runs in the backend's memory.
 */
export function fastWasmMatMul(tf: typeof tfCore, stock: tfCore.KernelConfig): tfCore.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
    const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
    const float = a.dtype === 'float32' && b.dtype === 'float32';
    const stockIsFast = batchA === 1 && batchB === 1 && !transposeA && !transposeB;
    // tfjs only broadcasts a batch of one against another: anything else is its error to report.
    const batchesMatch = batchA === batchB || batchA === 1 || batchB === 1;
    if (!float || a.shape.length < 2 || b.shape.length < 2 || stockIsFast || !batchesMatch)
      return stock.kernelFunc(args);

    const calls = wasmKernelCalls(tf, args.backend);
    const swapLastTwo = (x: TensorInfo) => {
      const perm = x.shape.map((_, i) => i);
      const n = perm.length;
      [perm[n - 2], perm[n - 1]] = [perm[n - 1], perm[n - 2]];
      return calls.temporary('Transpose', { x }, { perm });
    };
    try {
      let left = transposeA ? swapLastTwo(a) : a;
      const right = transposeB ? swapLastTwo(b) : b;
      const [m, k] = left.shape.slice(-2);
      const n = right.shape[right.shape.length - 1];
      const batch = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
      if (batchB > 1) {
        const backend = args.backend as unknown as WasmBackendInternals;
        const out = backend.makeOutput([...batch, m, n], 'float32');
        const offset = (t: TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
        batchedMatMulIn(backend.wasm.asm.memory)(
          offset(left),
          offset(right),
          offset(out),
          batchB,
          m,
          n,
          k,
          batchA === 1 ? 0 : m * k,
          k * n,
        );
        return out;
      }
      // [..., M, K] over an unbatched right side: one [1, batch·M, K] product on XNNPACK.
      if (batchA > 1) left = calls.temporary('Reshape', { x: left }, { shape: [1, batchA * m, k] });
      const product = stock.kernelFunc({
        inputs: { a: left, b: right },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
        backend: args.backend,
      }) as TensorInfo;
      if (batchA === 1) return product;
      return calls.run('Reshape', { x: calls.track(product) }, { shape: [...batch, m, n] });
    } finally {
      calls.freeTemporaries();
    }
  };
}
