import type * as tfCore from '@tensorflow/tfjs-core';

type TensorInfo = tfCore.TensorInfo;

/**
 * Context for a replacement wasm kernel: run other wasm kernels for intermediate results, which
 * it frees when the replacement is done (`freeTemporaries`, in a finally).
 */
export interface WasmKernelCalls {
  /** Runs the wasm backend's registered kernel `name`; the result is freed with the temporaries. */
  temporary(name: string, inputs: tfCore.NamedTensorInfoMap, attrs: tfCore.NamedAttrMap): TensorInfo;
  /** Runs kernel `name` for a result the caller returns (not freed). */
  run(name: string, inputs: tfCore.NamedTensorInfoMap, attrs: tfCore.NamedAttrMap): TensorInfo;
  /** Frees `t` with the temporaries (a result made another way, e.g. by the stock kernel). */
  track(t: TensorInfo): TensorInfo;
  freeTemporaries(): void;
}

export function wasmKernelCalls(tf: typeof tfCore, backend: unknown): WasmKernelCalls {
  const b = backend as tfCore.KernelBackend;
  const temporaries: TensorInfo[] = [];
  const run = (name: string, inputs: tfCore.NamedTensorInfoMap, attrs: tfCore.NamedAttrMap) => {
    const k = tf.getKernel(name, 'wasm');
    if (!k) throw new Error(`the wasm backend has no ${name} kernel`);
    return k.kernelFunc({ inputs, attrs, backend: b }) as TensorInfo;
  };
  const track = (t: TensorInfo) => {
    temporaries.push(t);
    return t;
  };
  return {
    run,
    track,
    temporary: (name, inputs, attrs) => track(run(name, inputs, attrs)),
    freeTemporaries: () => {
      for (const t of temporaries.splice(0)) b.disposeData(t.dataId);
    },
  };
}
