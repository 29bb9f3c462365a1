import type * as tfCore from '@tensorflow/tfjs-core';
import { rawDispatchListeners } from './webgpu-dispatch';

/** What a piece of work asked of tfjs-backend-webgpu: compute dispatches by program and host uploads. */
export interface WebGPUCensus {
  /** Compute dispatches (one bind group each): tfjs's programs and kernels dispatched directly. */
  dispatches: number;
  /** tfjs program dispatches per program class, most first. */
  byProgram: { program: string; count: number }[];
  /** Dispatches outside tfjs's programs (attnzoo's fused attention and layer norm kernels). */
  otherDispatches: number;
  /** attnzoo's own dispatches by kernel label (products, fused attention, layer norm, split), most first. */
  byKernel: { kernel: string; count: number }[];
  /** Tensors whose values were copied from host memory to the GPU, and their bytes. */
  uploads: number;
  uploadBytes: number;
}

interface CountedBackend {
  device: { createBindGroup(descriptor: unknown): unknown };
  recordAndSubmit(program: object, ...rest: unknown[]): unknown;
  uploadToGPU(dataId: object): void;
  tensorMap: { get(dataId: object): { values?: { byteLength?: number } | null } | undefined };
}

/**
 * Counts the dispatches and uploads `work` causes on the current webgpu backend. On WebGPU a
 * training step's time goes mostly to the CPU cost of each dispatch and upload (0.2 ms per
 * kernel on an H200), so these counts are what kernel fusion and upload fixes move, and unlike
 * times they are the same on the software adapter as on a GPU (given the same storage-buffer
 * limit, by which split and concat group their work).
 */
export async function webgpuCensus<T>(
  tf: typeof tfCore,
  work: () => Promise<T> | T,
): Promise<{ result: T; census: WebGPUCensus }> {
  if (tf.getBackend() !== 'webgpu')
    throw new Error(`webgpuCensus needs the webgpu backend, not ${tf.getBackend()}.`);
  const backend = tf.backend() as unknown as CountedBackend;
  const byProgram = new Map<string, number>();
  let uploads = 0;
  let uploadBytes = 0;
  let bindGroups = 0;
  const device = backend.device;
  const hadOwn = Object.hasOwn(device, 'createBindGroup');
  const createBindGroup = device.createBindGroup;
  device.createBindGroup = function (descriptor) {
    bindGroups++;
    return createBindGroup.call(this, descriptor);
  };
  const byKernel = new Map<string, number>();
  const onRaw = (label: string) => byKernel.set(label, (byKernel.get(label) ?? 0) + 1);
  rawDispatchListeners.add(onRaw);
  const record = backend.recordAndSubmit;
  const upload = backend.uploadToGPU;
  backend.recordAndSubmit = function (program, ...rest) {
    const name = program.constructor?.name ?? 'unknown';
    byProgram.set(name, (byProgram.get(name) ?? 0) + 1);
    return record.call(this, program, ...rest);
  };
  backend.uploadToGPU = function (dataId) {
    const values = this.tensorMap.get(dataId)?.values;
    if (values) {
      uploads++;
      uploadBytes += values.byteLength ?? 0;
    }
    return upload.call(this, dataId);
  };
  try {
    const result = await work();
    const programs = [...byProgram.values()].reduce((a, b) => a + b, 0);
    return {
      result,
      census: {
        dispatches: bindGroups,
        otherDispatches: bindGroups - programs,
        byProgram: [...byProgram]
          .map(([program, count]) => ({ program, count }))
          .sort((a, b) => b.count - a.count || a.program.localeCompare(b.program)),
        byKernel: [...byKernel]
          .map(([kernel, count]) => ({ kernel, count }))
          .sort((a, b) => b.count - a.count || a.kernel.localeCompare(b.kernel)),
        uploads,
        uploadBytes,
      },
    };
  } finally {
    rawDispatchListeners.delete(onRaw);
    backend.recordAndSubmit = record;
    backend.uploadToGPU = upload;
    if (hadOwn) device.createBindGroup = createBindGroup;
    else delete (device as { createBindGroup?: unknown }).createBindGroup;
  }
}
