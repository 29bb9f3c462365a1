import { patchGradients, patchWebGPUKernels, setWasmKernelFixes } from '@attnzoo/runtime';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';

export type BrowserBackend = 'webgpu' | 'wasm';

export interface BackendPick {
  backend: BrowserBackend;
  /** One line: what was picked, with the adapter, and why WebGPU was skipped when it was. */
  summary: string;
  /** Why WebGPU is not used, when it is not. */
  webgpuProblem?: string;
}

/** Why this browser cannot run the WebGPU backend, or undefined when it has an adapter. */
async function webgpuProblem(): Promise<string | undefined> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) {
    return window.isSecureContext
      ? 'this browser has no WebGPU (navigator.gpu is missing; Chrome and Edge 113+ have it, Firefox and Safari behind a setting)'
      : 'WebGPU needs a secure page (https:// or localhost)';
  }
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return 'WebGPU is present but offers no adapter (no usable GPU, or it is blocked)';
  } catch (error) {
    return `requesting a WebGPU adapter failed: ${(error as Error).message}`;
  }
  return undefined;
}

async function adapterName(): Promise<string> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } })
    .gpu;
  const info = (await gpu?.requestAdapter())?.info;
  return [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown';
}

/**
 * WebGPU when the browser offers an adapter, otherwise wasm; `requested` forces one (an
 * explicit choice that fails is an error, not a silent fallback).
 */
export async function pickBackend(requested: 'auto' | BrowserBackend = 'auto'): Promise<BackendPick> {
  patchGradients(tf);
  let problem: string | undefined;
  if (requested !== 'wasm') {
    problem = await webgpuProblem();
    if (!problem) {
      try {
        // The fixes the Node backend gets too: without the cast fix, the text models' int32 ids
        // reach a shader that stores i32 into f32, which the browser rejects.
        patchWebGPUKernels(tf, webgpu_util);
        if (!(await tf.setBackend('webgpu'))) throw new Error("tf.setBackend('webgpu') failed");
        await tf.ready();
        const how = requested === 'auto' ? 'auto' : 'requested';
        return { backend: 'webgpu', summary: `backend: webgpu (adapter ${await adapterName()}) [${how}]` };
      } catch (error) {
        problem = `the WebGPU backend failed to start: ${(error as Error).message}`;
      }
    }
    if (requested === 'webgpu') throw new Error(`WebGPU was requested but is not available: ${problem}`);
  }
  // The wasm binaries are served beside the app (and cached for offline use).
  setWasmPaths(new URL('wasm/', document.baseURI).href);
  // Transposed and batched matrix products onto fast kernels (tfjs 4.22's are scalar loops).
  setWasmKernelFixes(tf, true);
  if (!(await tf.setBackend('wasm'))) throw new Error("tf.setBackend('wasm') failed");
  await tf.ready();
  const how = requested === 'auto' ? 'auto' : 'requested';
  return {
    backend: 'wasm',
    summary: `backend: wasm [${how}]${problem ? `; skipped webgpu: ${problem}` : ''}`,
    webgpuProblem: problem,
  };
}
