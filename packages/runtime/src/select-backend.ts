import type * as tfCore from '@tensorflow/tfjs-core';
import { BACKEND_PREFERENCE, type BackendName, parseBackendName } from './backend-names';
import { patchGradients } from './gradient-fixes';
import { setWasmKernelFixes } from './wasm-kernel-fixes';
import {
  adapterName,
  registerWebGPUBackend,
  type WebGPUAdapterSummary,
  type WebGPUNodeOptions,
} from './webgpu-node';

export interface BackendAttempt {
  backend: BackendName;
  /** Why this backend was not chosen; absent for the chosen one. */
  unavailable?: string;
}

export interface BackendChoice {
  backend: BackendName;
  /** One line for humans: what was chosen and why the better ones were not. */
  summary: string;
  attempts: BackendAttempt[];
  webgpuAdapter?: WebGPUAdapterSummary;
}

export interface SelectBackendOptions {
  /** A backend name or 'auto'. Defaults to `$ATTNZOO_BACKEND`, else 'auto'. */
  backend?: string;
  /** WebGPU adapter: defaults to `$ATTNZOO_WEBGPU_ADAPTER` ('hardware' | 'software'), else hardware. */
  webgpu?: WebGPUNodeOptions;
  /** Where to print the choice; defaults to console.error. Pass `() => {}` to stay quiet. */
  log?: (line: string) => void;
  /** Node addons cannot be imported by bundlers for the browser; injectable for tests. */
  importModule?: (name: string) => Promise<unknown>;
}

const defaultImport = (name: string) => import(/* @vite-ignore */ name);

/**
 * Picks the best available backend (tensorflow, webgpu, wasm, cpu), initialises it and says
 * why each better one was skipped. An explicit choice that fails is an error, not a fallback,
 * so a user who asked for webgpu never silently trains on the CPU.
 */
export async function selectBackend(
  tf: typeof tfCore,
  options: SelectBackendOptions = {},
): Promise<BackendChoice> {
  const env = typeof process !== 'undefined' ? process.env : {};
  patchGradients(tf);
  const requested =
    options.backend !== undefined
      ? parseBackendName(options.backend, 'the --backend option')
      : parseBackendName(env.ATTNZOO_BACKEND ?? 'auto', 'ATTNZOO_BACKEND');
  const adapter = (options.webgpu?.adapter ?? env.ATTNZOO_WEBGPU_ADAPTER ?? 'hardware') as
    | 'hardware'
    | 'software';
  if (adapter !== 'hardware' && adapter !== 'software') {
    throw new Error(`Unknown ATTNZOO_WEBGPU_ADAPTER "${adapter}": use hardware or software.`);
  }
  const webgpuOptions: WebGPUNodeOptions = { ...options.webgpu, adapter };
  const importModule = options.importModule ?? defaultImport;
  const log = options.log ?? ((line: string) => console.error(line));

  const candidates = requested === 'auto' ? [...BACKEND_PREFERENCE] : [requested];
  const attempts: BackendAttempt[] = [];
  let webgpuAdapter: WebGPUAdapterSummary | undefined;
  for (const backend of candidates) {
    try {
      const adapterInfo = await initialise(tf, backend, webgpuOptions, importModule);
      if (adapterInfo) webgpuAdapter = adapterInfo;
      attempts.push({ backend });
      const skipped = attempts.filter((a) => a.unavailable).map((a) => `${a.backend}: ${a.unavailable}`);
      const detail = webgpuAdapter && backend === 'webgpu' ? ` (${describeAdapter(webgpuAdapter)})` : '';
      const how = requested === 'auto' ? 'auto' : 'requested';
      const summary =
        `attnzoo backend: ${backend}${detail} [${how}]` +
        (skipped.length ? `; skipped ${skipped.join('; ')}` : '');
      log(summary);
      return { backend, summary, attempts, webgpuAdapter };
    } catch (error) {
      attempts.push({ backend, unavailable: firstLine(error) });
      if (requested !== 'auto') {
        throw new Error(
          `Backend "${backend}" was requested but is not available: ${firstLine(error)}. ` +
            'Install what it needs, or choose another with --backend / ATTNZOO_BACKEND (auto picks the best available).',
        );
      }
    }
  }
  throw new Error(
    `No TensorFlow.js backend could be initialised: ${attempts.map((a) => `${a.backend}: ${a.unavailable}`).join('; ')}`,
  );
}

async function initialise(
  tf: typeof tfCore,
  backend: BackendName,
  webgpu: WebGPUNodeOptions,
  importModule: (name: string) => Promise<unknown>,
): Promise<WebGPUAdapterSummary | undefined> {
  let adapter: WebGPUAdapterSummary | undefined;
  switch (backend) {
    case 'tensorflow':
      // tfjs-node-gpu (CUDA) first, then tfjs-node (CPU). Both register 'tensorflow' on import;
      // a failed native install throws "tfjs_binding.node can not be found" here.
      await importFirst(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'], importModule);
      break;
    case 'webgpu':
      adapter = await registerWebGPUBackend(tf, webgpu);
      break;
    case 'wasm':
      await importModule('@tensorflow/tfjs-backend-wasm');
      // Transposed products (every dense layer's backward pass) and Tile onto fast kernels.
      setWasmKernelFixes(tf, true);
      break;
    case 'cpu':
      await importModule('@tensorflow/tfjs-backend-cpu');
      break;
  }
  if (!tf.findBackendFactory(backend)) throw new Error(`the ${backend} backend did not register`);
  const ok = await tf.setBackend(backend);
  if (!ok) throw new Error(`tf.setBackend('${backend}') failed`);
  await tf.ready();
  return adapter;
}

async function importFirst(names: string[], importModule: (name: string) => Promise<unknown>): Promise<void> {
  const reasons: string[] = [];
  for (const name of names) {
    try {
      await importModule(name);
      return;
    } catch (error) {
      reasons.push(`${name} ${describeImportFailure(error)}`);
    }
  }
  throw new Error(reasons.join(', '));
}

function describeImportFailure(error: unknown): string {
  const message = firstLine(error);
  if (/Cannot find (package|module)/i.test(message)) return 'is not installed';
  if (/tfjs_binding\.node/.test(message))
    return 'is installed but its native addon is missing (libtensorflow download failed)';
  return `failed to load (${message})`;
}

function describeAdapter(a: WebGPUAdapterSummary): string {
  const name = adapterName(a);
  return `${a.software ? 'software adapter' : 'adapter'} ${name || 'unknown'}`;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0].trim();
}
