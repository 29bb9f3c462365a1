import type * as tfCore from '@tensorflow/tfjs-core';
import { BACKEND_PREFERENCE, type BackendName, parseBackendName } from './backend-names';
import { patchGradients } from './gradient-fixes';
import {
  ADDON_MISSING,
  type NativeTensorflowOptions,
  nativeAddonProblem,
  nativeCandidates,
  withoutKernelReRegistrationWarnings,
} from './native-tensorflow';
import { setWasmKernelFixes } from './wasm-kernel-fixes';
import {
  adapterName,
  probeHardwareAdapter,
  registerWebGPUBackend,
  type WebGPUAdapterSummary,
  type WebGPUNodeOptions,
  webgpuRegistered,
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
  /** Which tfjs-node build to load (the GPU one only with CUDA) and how to check it before loading. */
  tensorflow?: NativeTensorflowOptions;
  /**
   * Let native libraries print to the terminal as they look for a device (Dawn's messages about
   * Vulkan and the like). Default `$ATTNZOO_VERBOSE` = 1; otherwise a hardware WebGPU adapter is
   * first looked for in a child process and what Dawn said there goes into the reason line.
   */
  verbose?: boolean;
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
  const verbose = options.verbose ?? env.ATTNZOO_VERBOSE === '1';
  const context: InitContext = {
    webgpu: webgpuOptions,
    importModule,
    tensorflow: options.tensorflow ?? {},
    verbose,
  };

  const candidates = requested === 'auto' ? [...BACKEND_PREFERENCE] : [requested];
  const attempts: BackendAttempt[] = [];
  let webgpuAdapter: WebGPUAdapterSummary | undefined;
  for (const backend of candidates) {
    try {
      const adapterInfo = await initialise(tf, backend, context);
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

interface InitContext {
  webgpu: WebGPUNodeOptions;
  importModule: (name: string) => Promise<unknown>;
  tensorflow: NativeTensorflowOptions;
  verbose: boolean;
}

async function initialise(
  tf: typeof tfCore,
  backend: BackendName,
  { webgpu, importModule, tensorflow, verbose }: InitContext,
): Promise<WebGPUAdapterSummary | undefined> {
  let adapter: WebGPUAdapterSummary | undefined;
  switch (backend) {
    case 'tensorflow':
      // tfjs-node-gpu only where CUDA is present, else tfjs-node alone. Both register
      // 'tensorflow' on import; a failed native install throws "tfjs_binding.node can not be
      // found" there, after registering its kernels.
      await importNativeTensorflow(await nativeCandidates(tensorflow), tensorflow, importModule);
      break;
    case 'webgpu':
      if (!verbose && webgpu.adapter !== 'software' && !webgpuRegistered()) {
        const problem = await probeHardwareAdapter(webgpu.dawnOptions);
        if (problem) throw new Error(problem);
      }
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
  // The cpu backend's one-time banner ("Hi, looks like you are running TensorFlow.js in Node.js
  // ... install our node backend") repeats what the choice line already says.
  if (backend === 'cpu') {
    const cpu = tf.backend() as { firstUse?: boolean };
    if (cpu.firstUse === true) cpu.firstUse = false;
  }
  return adapter;
}

/** Imports the first build that loads; one whose files show a missing addon is not imported at all. */
async function importNativeTensorflow(
  names: string[],
  options: NativeTensorflowOptions,
  importModule: (name: string) => Promise<unknown>,
): Promise<void> {
  const reasons: string[] = [];
  for (const name of names) {
    const problem = options.packageDir ? await nativeAddonProblem(name, options.packageDir) : undefined;
    if (problem) {
      reasons.push(`${name} ${problem}`);
      continue;
    }
    try {
      await withoutKernelReRegistrationWarnings(() => importModule(name));
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
  if (/tfjs_binding\.node/.test(message)) return ADDON_MISSING;
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
