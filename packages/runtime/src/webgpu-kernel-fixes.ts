import type * as tfCore from '@tensorflow/tfjs-core';
import { patchWebGPUCast } from './webgpu-cast-fix';
import { patchWebGPUGemm } from './webgpu-gemm';
import { patchWebGPUSplit } from './webgpu-split-fix';

/**
 * The kernel fixes `registerWebGPUBackend` applies under Node, for a browser's own WebGPU backend:
 * a real int32/bool → float32 cast (tfjs 4.22's relabelled buffer breaks Transpose and Sum on it),
 * Split, and the tiled matrix products. `webgpuUtil` is `webgpu_util` of
 * `@tensorflow/tfjs-backend-webgpu`. Idempotent.
 */
export function patchWebGPUKernels(tf: typeof tfCore, webgpuUtil: unknown): void {
  patchWebGPUCast(tf, webgpuUtil as never);
  patchWebGPUSplit(tf);
  patchWebGPUGemm(tf);
}
