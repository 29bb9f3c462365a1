import { selectBackend } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Backends the numerical tests run on: cpu, wasm and webgpu on Mesa's software adapter
 * (the real WGSL kernels, on a CPU machine). ATTNZOO_TEST_BACKENDS=cpu,wasm narrows it;
 * ATTNZOO_WEBGPU_ADAPTER=hardware uses a real GPU instead.
 */
export const TEST_BACKENDS = (process.env.ATTNZOO_TEST_BACKENDS ?? 'cpu,wasm,webgpu')
  .split(',')
  .map((s) => s.trim());

export async function useBackend(name: string): Promise<void> {
  const adapter = (process.env.ATTNZOO_WEBGPU_ADAPTER as 'hardware' | 'software' | undefined) ?? 'software';
  await selectBackend(tf, { backend: name, webgpu: { adapter }, log: () => {} });
}

/** Float32 tolerance per backend: GPU reductions and exp differ a little from the CPU's. */
export function tolerance(backend: string): number {
  return backend === 'webgpu' ? 2e-4 : 2e-5;
}
