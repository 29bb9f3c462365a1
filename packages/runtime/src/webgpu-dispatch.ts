import type * as tf from '@tensorflow/tfjs-core';
import { activeStepHooks } from './step-hooks';

/**
 * The few members of tfjs-backend-webgpu 4.22's WebGPUBackend that a raw WGSL dispatch needs.
 * `runWebGPUProgram` is not used because it allows one output buffer only and builds the
 * module itself (no `enable subgroups;` directive possible); attnzoo's kernels (fused attention
 * and layer norm, multi-output split) need several outputs and optional subgroup operations. The
 * commands go into the backend's own encoder, so ordering with tfjs's kernels and buffer lifetimes
 * stay tfjs's business.
 */
export interface WebGPUBackendInternals {
  device: GPUDevice;
  queue: GPUQueue;
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<object>;
  uniformPendingDisposal: GPUBuffer[];
  bufferManager: { acquireBuffer(size: number, usage: number): GPUBuffer };
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  uploadToGPU(dataId: object): void;
  tensorToBinding(t: tf.TensorInfo): GPUBindingResource;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

function pipelineFor(device: GPUDevice, code: string, label: string): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (!cache) {
    cache = new Map();
    pipelines.set(device, cache);
  }
  let p = cache.get(code);
  if (!p) {
    const module = device.createShaderModule({ code, label });
    p = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label });
    cache.set(code, p);
  }
  return p;
}

export interface RawDispatch {
  label: string;
  /** Complete WGSL module: binding 0..n-1 storage buffers in `buffers` order, binding n the uniforms. */
  code: string;
  /** Tensors bound in order; inputs read-only in the shader, outputs freshly allocated. */
  buffers: tf.TensorInfo[];
  /** Outputs among `buffers` (they are uploaded/allocated before binding). */
  uniforms: ArrayBuffer;
  workgroups: [number, number, number];
  /**
   * Submit at once (default): right for long kernels. Short ones pass false and leave the
   * submission to tfjs's own batching of dispatches (the next of its kernels, or a read, submits).
   */
  submit?: boolean;
  /**
   * Byte offset in `uniforms` of a u32 seed drawn with `drawSeed` for this step (dropout): a
   * captured step writes a fresh seed there on each replay.
   */
  seedOffset?: number;
}

/** Listeners told of each raw dispatch's label (webgpuCensus counts attnzoo's kernels by name). */
export const rawDispatchListeners = new Set<(label: string) => void>();

/** Records one compute dispatch into tfjs's command encoder. */
export function dispatchRaw(backend: WebGPUBackendInternals, d: RawDispatch): void {
  for (const listen of rawDispatchListeners) listen(d.label);
  const device = backend.device;
  const pipeline = pipelineFor(device, d.code, d.label);
  for (const t of d.buffers) backend.uploadToGPU(t.dataId);
  const size = Math.max(16, Math.ceil(d.uniforms.byteLength / 16) * 16);
  const uniformBuffer = backend.bufferManager.acquireBuffer(
    size,
    GPUBufferUsage.COPY_DST | GPUBufferUsage.UNIFORM,
  );
  const padded = new Uint8Array(size);
  padded.set(new Uint8Array(d.uniforms));
  backend.queue.writeBuffer(uniformBuffer, 0, padded, 0, size);
  backend.uniformPendingDisposal.push(uniformBuffer);
  if (d.seedOffset !== undefined) {
    const seed = new DataView(d.uniforms).getUint32(d.seedOffset, true);
    activeStepHooks()?.seedUniform(uniformBuffer, d.seedOffset, seed);
  }
  const entries: GPUBindGroupEntry[] = d.buffers.map((t, i) => ({
    binding: i,
    resource: backend.tensorToBinding(t),
  }));
  entries.push({ binding: d.buffers.length, resource: { buffer: uniformBuffer, offset: 0, size } });
  for (const t of d.buffers) backend.commandQueueOwnedIds.add(t.dataId);
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  backend.ensureCommandEncoderReady();
  if (!backend.computePassEncoder) {
    backend.computePassEncoder = (backend.commandEncoder as GPUCommandEncoder).beginComputePass({});
  }
  const pass = backend.computePassEncoder;
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
  backend.dispatchCountInPass++;
  if (d.submit === false) return;
  // Long attention kernels: submit at once rather than wait for tfjs's batch of 15 dispatches.
  backend.endComputePassEncoder();
  backend.submitQueue();
}

/** Workgroups one grid dimension holds (WebGPU's default maxComputeWorkgroupsPerDimension). */
export const MAX_WORKGROUPS_X = 65535;

/**
 * A grid of `count` workgroups: up to MAX_WORKGROUPS_X along x, the rest in further rows of y.
 * Shaders number their workgroup as `wid.x + wid.y * MAX_WORKGROUPS_X` and skip past `count`.
 */
export function workgroupGrid(count: number): [number, number, number] {
  return [Math.min(count, MAX_WORKGROUPS_X), Math.ceil(count / MAX_WORKGROUPS_X), 1];
}

/**
 * Registers a webgpu kernel (and its gradient) unless one of that name is there already: a module
 * of kernels may be evaluated twice (bundles, test isolation) against one tfjs registry.
 */
export function registerWebGPUKernel(
  tfjs: typeof tf,
  kernelName: string,
  kernelFunc: tf.KernelFunc,
  gradient?: Omit<tf.GradConfig, 'kernelName'>,
): void {
  if (!tfjs.getKernel(kernelName, 'webgpu'))
    tfjs.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc });
  if (gradient && !tfjs.getGradient(kernelName)) tfjs.registerGradient({ kernelName, ...gradient });
}

/** What the adapter offers that the kernels can use. */
export interface DeviceCaps {
  workgroupStorage: number;
  invocations: number;
  maxWorkgroupsPerDimension: number;
  subgroups: boolean;
  subgroupMinSize: number;
}

export function deviceCaps(backend: WebGPUBackendInternals): DeviceCaps {
  const device = backend.device;
  const info = (device as unknown as { adapterInfo?: { subgroupMinSize?: number } }).adapterInfo;
  return {
    workgroupStorage: device.limits.maxComputeWorkgroupStorageSize,
    invocations: device.limits.maxComputeInvocationsPerWorkgroup,
    maxWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
    subgroups: device.features.has('subgroups'),
    subgroupMinSize: info?.subgroupMinSize ?? 0,
  };
}
