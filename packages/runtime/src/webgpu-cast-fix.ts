import type * as tfCore from '@tensorflow/tfjs-core';

interface WebGPUUtil {
  flatDispatchLayout(shape: number[]): { x: number[] };
  computeDispatch(
    layout: { x: number[] },
    shape: number[],
    workgroupSize: number[],
  ): [number, number, number];
}

interface ProgramBackend {
  runWebGPUProgram(program: object, inputs: tfCore.TensorInfo[], dtype: tfCore.DataType): tfCore.TensorInfo;
}

/**
 * tfjs-backend-webgpu 4.22 casts int32/bool to float32 by relabelling the same i32 buffer.
 * Element-wise kernels convert on read, but others (Transpose inside Sum, for one) then
 * compile WGSL that stores an i32 into an f32 output, which Dawn rejects ("type mismatch for
 * argument 2 in call to 'setOutputAtIndex'") and the step yields NaN. Seen on an H200 and on
 * the software adapter. This replaces that cast with a real conversion kernel.
 */
export function patchWebGPUCast(tf: typeof tfCore, webgpuUtil: WebGPUUtil): void {
  const original = tf.getKernel('Cast', 'webgpu');
  if (!original || (original as { attnzooPatched?: boolean }).attnzooPatched) return;
  const kernelFunc: tfCore.KernelFunc = (args) => {
    const x = args.inputs.x as tfCore.TensorInfo;
    const dtype = (args.attrs as { dtype: tfCore.DataType }).dtype;
    if (dtype === 'float32' && (x.dtype === 'int32' || x.dtype === 'bool')) {
      const workgroupSize = [128, 1, 1];
      const dispatchLayout = webgpuUtil.flatDispatchLayout(x.shape);
      const program = {
        variableNames: ['A'],
        outputShape: x.shape,
        size: true,
        workgroupSize,
        dispatchLayout,
        dispatch: webgpuUtil.computeDispatch(dispatchLayout, x.shape, workgroupSize),
        shaderKey: 'attnzoo_cast_to_float',
        // tfjs wraps this in its entry point; getAByOutputIndex returns f32(A[i]).
        getUserCode: () => `
          fn main(index : i32) {
            if (index < uniforms.size) {
              setOutputAtIndex(index, getAByOutputIndex(index));
            }
          }`,
      };
      return (args.backend as unknown as ProgramBackend).runWebGPUProgram(program, [x], 'float32');
    }
    return original.kernelFunc(args) as tfCore.TensorInfo;
  };
  tf.unregisterKernel('Cast', 'webgpu');
  tf.registerKernel({ kernelName: 'Cast', backendName: 'webgpu', kernelFunc });
  (tf.getKernel('Cast', 'webgpu') as { attnzooPatched?: boolean }).attnzooPatched = true;
}
