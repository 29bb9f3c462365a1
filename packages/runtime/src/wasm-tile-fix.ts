import type * as tfCore from '@tensorflow/tfjs-core';
import { wasmKernelCalls } from './wasm-kernel-call';

type TensorInfo = tfCore.TensorInfo;

/**
 * A Tile for tfjs-backend-wasm 4.22 built from a broadcasting multiply. The stock kernel walks
 * every output element with index arithmetic: broadcasting [64, 32, 1] to [64, 32, 256] (what the
 * backward pass of every layer norm's mean does, through broadcastTo) took 60 ms against 3 ms for
 * the multiply. x is reshaped so that each tiled axis gets a new axis of its repetitions in front
 * ([.., x_i, ..] → [.., 1, x_i, ..]), multiplied by ones of [.., r_i, x_i, ..], and reshaped to
 * the tiled shape.
 */
export function fastWasmTile(tf: typeof tfCore, stock: tfCore.KernelConfig): tfCore.KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const reps = (args.attrs as { reps: number[] }).reps;
    const tiled = reps.filter((r) => r > 1).length;
    // XNNPACK's broadcasting takes at most 6 dimensions.
    if ((x.dtype !== 'float32' && x.dtype !== 'int32') || tiled === 0 || x.shape.length + tiled > 6)
      return stock.kernelFunc(args);
    const calls = wasmKernelCalls(tf, args.backend);
    const spread: number[] = [];
    const expanded: number[] = [];
    x.shape.forEach((d, i) => {
      if (reps[i] > 1) {
        spread.push(1);
        expanded.push(reps[i]);
      }
      spread.push(d);
      expanded.push(d);
    });
    const out = x.shape.map((d, i) => d * reps[i]);
    try {
      const xs = calls.temporary('Reshape', { x }, { shape: spread });
      const ones = calls.temporary('Fill', {}, { shape: expanded, value: 1, dtype: x.dtype });
      const product = calls.temporary('Multiply', { a: xs, b: ones }, {});
      return calls.run('Reshape', { x: product }, { shape: out });
    } finally {
      calls.freeTemporaries();
    }
  };
}
