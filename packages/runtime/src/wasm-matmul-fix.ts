import type * as tfCore from '@tensorflow/tfjs-core';
import { shapeSize, wasmKernelCalls } from './wasm-kernel-call';

type TensorInfo = tfCore.TensorInfo;

/**
 * A BatchMatMul for tfjs-backend-wasm 4.22 that keeps transposed products on XNNPACK. The stock
 * kernel sends a product to XNNPACK only when neither side is transposed and neither has a batch;
 * every other product runs a scalar triple loop. Both products of a dense layer's backward pass are
 * transposed (dx = dy·Wᵀ, dW = xᵀ·dy): for a translator's 8000-way output layer ([2048, 256] ×
 * [256, 8000]) the loop took 6.6 s and 10.2 s against 0.5 s for the forward product. Transposing
 * the operand first (a copy, linear in its size) and multiplying untransposed took 0.50 and 0.58 s.
 * A batched left side over an unbatched right side folds into the rows of one product. Products of
 * two batched operands (attention scores) stay on the loop: XNNPACK has no batched path here.
 */
export function fastWasmMatMul(tf: typeof tfCore, stock: tfCore.KernelConfig): tfCore.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const batchA = shapeSize(a.shape.slice(0, -2));
    const batchB = shapeSize(b.shape.slice(0, -2));
    const foldA = batchA > 1 && batchB === 1 && !transposeA;
    const transposedFlat = batchA === 1 && batchB === 1 && (transposeA || transposeB);
    const float = a.dtype === 'float32' && b.dtype === 'float32';
    if (!float || a.shape.length < 2 || b.shape.length < 2 || !(foldA || transposedFlat))
      return stock.kernelFunc(args);

    const calls = wasmKernelCalls(tf, args.backend);
    const temporaries: TensorInfo[] = [];
    const temporary = (t: TensorInfo) => {
      temporaries.push(t);
      return t;
    };
    const swapLastTwo = (x: TensorInfo) => {
      const perm = x.shape.map((_, i) => i);
      const n = perm.length;
      [perm[n - 2], perm[n - 1]] = [perm[n - 1], perm[n - 2]];
      return temporary(calls.run('Transpose', { x }, { perm }));
    };
    try {
      let left = transposeA ? swapLastTwo(a) : a;
      const right = transposeB ? swapLastTwo(b) : b;
      const [m, k] = left.shape.slice(-2);
      const n = right.shape[right.shape.length - 1];
      if (foldA) left = temporary(calls.run('Reshape', { x: left }, { shape: [1, batchA * m, k] }));
      const product = stock.kernelFunc({
        inputs: { a: left, b: right },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
        backend: args.backend,
      }) as TensorInfo;
      if (!foldA) return product;
      temporary(product);
      const batch = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
      return calls.run('Reshape', { x: product }, { shape: [...batch, m, n] });
    } finally {
      for (const t of temporaries) calls.free(t);
    }
  };
}
