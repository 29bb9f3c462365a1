import type * as tfCore from '@tensorflow/tfjs-core';
import { fastWasmMatMul } from './wasm-matmul-fix';
import { fastWasmTile } from './wasm-tile-fix';

const FIXES: Record<string, (tf: typeof tfCore, stock: tfCore.KernelConfig) => tfCore.KernelFunc> = {
  BatchMatMul: fastWasmMatMul,
  Tile: fastWasmTile,
};

/** The stock kernel configs, kept to switch back (per tfjs-core instance). */
const stockKernels = new WeakMap<object, Map<string, tfCore.KernelConfig>>();

/**
 * Replaces tfjs-backend-wasm kernels that are far slower than the arithmetic needs (a transposed
 * BatchMatMul, Tile) with compositions of its fast kernels, or puts the stock ones back. On by
 * default: `selectBackend` turns them on when it picks wasm; benchmarks turn them off to compare in
 * one process. Call after '@tensorflow/tfjs-backend-wasm' is imported.
 */
export function setWasmKernelFixes(tf: typeof tfCore, enabled: boolean): void {
  let stock = stockKernels.get(tf);
  if (!stock) {
    stock = new Map();
    for (const name of Object.keys(FIXES)) {
      const k = tf.getKernel(name, 'wasm');
      if (k) stock.set(name, k);
    }
    if (stock.size === 0) return; // the wasm backend is not registered
    stockKernels.set(tf, stock);
  }
  for (const [name, config] of stock) {
    tf.unregisterKernel(name, 'wasm');
    // Keep the stock setupFunc: the wasm backend runs it at initialisation to bind its C++ kernel.
    tf.registerKernel(enabled ? { ...config, kernelFunc: FIXES[name](tf, config) } : config);
  }
}
