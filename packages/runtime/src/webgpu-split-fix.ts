import type * as tfCore from '@tensorflow/tfjs-core';
import { dispatchRaw, MAX_WORKGROUPS_X, type WebGPUBackendInternals, workgroupGrid } from './webgpu-dispatch';

type TensorInfo = tfCore.TensorInfo;

interface EmptyMaker {
  makeTensorInfo(shape: number[], dtype: tfCore.DataType, values: Float32Array | Int32Array): TensorInfo;
}

const THREADS = 256;

/** WGSL that copies consecutive ranges of X into `n` outputs (range k starts at P.start + off[k]). */
function splitShader(n: number, type: 'f32' | 'i32'): string {
  const outputs = Array.from(
    { length: n },
    (_, k) => `@group(0) @binding(${k}) var<storage, read_write> O${k} : array<${type}>;`,
  ).join('\n');
  // off[k] for k ≤ n: the output ranges within this group, as vec4s of the uniform.
  const off = (k: number) => `P.off[${k >> 2}][${k & 3}]`;
  const branches = Array.from(
    { length: n },
    (_, k) => `  ${k ? 'else ' : ''}if (i < ${off(k + 1)}) { O${k}[i - ${off(k)}] = X[P.start + i]; }`,
  ).join('\n');
  return `
struct Params { start: i32, total: i32, pad0: i32, pad1: i32, off: array<vec4<i32>, ${Math.ceil((n + 1) / 4)}> }
${outputs}
@group(0) @binding(${n}) var<storage, read> X : array<${type}>;
@group(0) @binding(${n + 1}) var<uniform> P : Params;
@compute @workgroup_size(${THREADS})
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
  let i = i32(gid.x) + i32(gid.y) * ${MAX_WORKGROUPS_X * THREADS};
  if (i >= P.total) { return; }
${branches}
}`;
}

/**
 * SplitV for tfjs-backend-webgpu 4.22 with many outputs per dispatch. The stock kernel slices
 * once per output: AdamW's flat update split back into a ViT's 63 weights cost 63 dispatches per
 * step, and on WebGPU each dispatch costs CPU time whatever its size. When every piece is one
 * contiguous range of the input (splitting the outermost axis that is not 1), one dispatch fills
 * as many outputs as the device binds storage buffers (minus the input). Other splits, and dtypes
 * other than float32 and int32, keep the stock kernel.
 */
export function patchWebGPUSplit(tf: typeof tfCore): void {
  const stock = tf.getKernel('SplitV', 'webgpu');
  if (!stock || (stock as { attnzooPatched?: boolean }).attnzooPatched) return;
  const kernelFunc: tfCore.KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
    const a = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tfCore.Tensor, numOrSizeSplits, a);
    const contiguous = x.shape.slice(0, a).every((d) => d === 1);
    const type = x.dtype === 'float32' ? 'f32' : x.dtype === 'int32' ? 'i32' : undefined;
    if (!contiguous || !type || sizes.length < 2) return stock.kernelFunc(args);
    const backend = args.backend as WebGPUBackendInternals;
    const inner = tf.util.sizeFromShape(x.shape.slice(a + 1));
    const perDispatch = Math.max(1, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
    const outputs = sizes.map((s) => {
      const shape = x.shape.slice();
      shape[a] = s;
      // An empty piece gets empty host data: nothing to dispatch, and reads still find a value.
      return s === 0
        ? (backend as unknown as EmptyMaker).makeTensorInfo(
            shape,
            x.dtype,
            x.dtype === 'int32' ? new Int32Array(0) : new Float32Array(0),
          )
        : backend.makeTensorInfo(shape, x.dtype);
    });
    let start = 0;
    for (let first = 0; first < outputs.length; first += perDispatch) {
      const group = outputs.slice(first, first + perDispatch).filter((o) => o.shape[a] > 0);
      const lengths = group.map((o) => o.shape[a] * inner);
      const total = lengths.reduce((p, l) => p + l, 0);
      if (total > 0) {
        const n = group.length;
        const params = new Int32Array(4 + 4 * Math.ceil((n + 1) / 4));
        params[0] = start;
        params[1] = total;
        let offset = 0;
        for (let k = 0; k <= n; k++) {
          params[4 + k] = offset;
          offset += lengths[k] ?? 0;
        }
        dispatchRaw(backend, {
          label: 'AttnzooSplit',
          code: splitShader(n, type),
          buffers: [...group, x],
          uniforms: params.buffer,
          workgroups: workgroupGrid(Math.ceil(total / THREADS)),
          submit: false,
        });
      }
      start += total;
    }
    return outputs;
  };
  tf.unregisterKernel('SplitV', 'webgpu');
  tf.registerKernel({ ...stock, kernelFunc });
  (tf.getKernel('SplitV', 'webgpu') as { attnzooPatched?: boolean }).attnzooPatched = true;
}
