import type * as tfCore from '@tensorflow/tfjs-core';

/** Context for replacement wasm kernels: call other wasm kernels and free their results. */
export interface WasmKernelCalls {
  /** Runs the wasm backend's registered kernel `name` (a TensorInfo the caller owns). */
  run(name: string, inputs: tfCore.NamedTensorInfoMap, attrs: tfCore.NamedAttrMap): tfCore.TensorInfo;
  /** Frees a TensorInfo made by `run`. */
  free(t: tfCore.TensorInfo): void;
}

export function wasmKernelCalls(tf: typeof tfCore, backend: unknown): WasmKernelCalls {
  const b = backend as tfCore.KernelBackend;
  return {
    run(name, inputs, attrs) {
      const k = tf.getKernel(name, 'wasm');
      if (!k) throw new Error(`the wasm backend has no ${name} kernel`);
      return k.kernelFunc({ inputs, attrs, backend: b }) as tfCore.TensorInfo;
    },
    free: (t) => void b.disposeData(t.dataId),
  };
}

export const shapeSize = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
