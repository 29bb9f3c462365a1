export { BACKEND_PREFERENCE, type BackendName, isBackendName, parseBackendName } from './backend-names';
export { patchGradients } from './gradient-fixes';
export {
  cudaPresent,
  type NativeTensorflowOptions,
  TFJS_NODE,
  TFJS_NODE_GPU,
} from './native-tensorflow';
export {
  type BackendAttempt,
  type BackendChoice,
  type SelectBackendOptions,
  selectBackend,
} from './select-backend';
export { drawSeed, noteStepInput } from './step-hooks';
export { setWasmKernelFixes } from './wasm-kernel-fixes';
export { type WebGPUCensus, webgpuCensus } from './webgpu-census';
export {
  type DeviceCaps,
  deviceCaps,
  dispatchRaw,
  MAX_WORKGROUPS_X,
  type RawDispatch,
  registerWebGPUKernel,
  type WebGPUBackendInternals,
  workgroupGrid,
} from './webgpu-dispatch';
export {
  GEMM_TILES,
  type GemmPlan,
  type GemmShape,
  planGemm,
  setWebGPUGemm,
  webgpuGemmEnabled,
} from './webgpu-gemm';
export { patchWebGPUKernels } from './webgpu-kernel-fixes';
export {
  adapterName,
  probeHardwareAdapter,
  registerWebGPUBackend,
  type WebGPUAdapterSummary,
  type WebGPUNodeOptions,
} from './webgpu-node';
export { timeRawDispatches } from './webgpu-pass-timer';
export { type CaptureResult, StepCapture } from './webgpu-step-capture';
export { type StepInputValue, StepPlan, signatureDifference } from './webgpu-step-plan';
