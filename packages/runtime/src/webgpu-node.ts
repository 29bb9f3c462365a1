import type * as tfCore from '@tensorflow/tfjs-core';
import { patchWebGPUCast } from './webgpu-cast-fix';
import { patchWebGPUGemm } from './webgpu-gemm';
import { patchWebGPUSplit } from './webgpu-split-fix';

/** How to reach a WebGPU adapter from Node through Dawn's `webgpu` package. */
export interface WebGPUNodeOptions {
  /**
   * `hardware`: the default adapter (Vulkan/Metal/D3D12 on a real GPU).
   * `software`: Mesa's software OpenGL ES through EGL surfaceless, in compatibility mode;
   * slow, but it runs the real WGSL kernels on a CPU-only machine (tests use it).
   */
  adapter?: 'hardware' | 'software';
  /** Extra Dawn toggles, e.g. `['enable-dawn-features=allow_unsafe_apis']`. */
  dawnOptions?: string[];
  /**
   * Kernel dispatches recorded before tfjs submits a command buffer (tfjs's flag
   * WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE, default 15). Defaults to `$ATTNZOO_WEBGPU_SUBMIT_BATCH`,
   * else tfjs's value. Measured on an H200 (ViT step, 1,596 kernels): 1000 was 18 % slower than
   * 15, so the default is kept; the option is there to measure other GPUs and drivers.
   */
  submitBatch?: number;
}

export interface WebGPUAdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  features: string[];
  software: boolean;
}

let registered: { adapter: string; summary: Promise<WebGPUAdapterSummary> } | undefined;

/** Whether this process has registered (or is registering) the WebGPU backend over Dawn. */
export function webgpuRegistered(): boolean {
  return registered !== undefined;
}

/**
 * Registers tfjs's `webgpu` backend over Dawn in Node. The `navigator.gpu` global must exist
 * before `@tensorflow/tfjs-backend-webgpu` is evaluated, so it is imported here, afterwards.
 * The backend factory is replaced by ours so that the software adapter can be asked for
 * (`featureLevel: 'compatibility'`) and so that optional features (subgroups, timestamps)
 * are requested when the adapter offers them.
 */
export function registerWebGPUBackend(
  tf: typeof tfCore,
  options: WebGPUNodeOptions = {},
): Promise<WebGPUAdapterSummary> {
  const adapter = options.adapter ?? 'hardware';
  if (registered && registered.adapter !== adapter) {
    throw new Error(
      `WebGPU was already initialised with the ${registered.adapter} adapter in this process; ` +
        `start a new process to use the ${adapter} adapter.`,
    );
  }
  if (!registered) {
    const summary = doRegister(tf, options);
    registered = { adapter, summary };
    // A failed attempt must not poison later ones (e.g. after installing Mesa).
    summary.catch(() => {
      registered = undefined;
    });
  }
  return registered.summary;
}

async function doRegister(tf: typeof tfCore, options: WebGPUNodeOptions): Promise<WebGPUAdapterSummary> {
  const software = options.adapter === 'software';
  if (software) process.env.EGL_PLATFORM ??= 'surfaceless';
  const dawn = await import('webgpu');
  const g = globalThis as Record<string, unknown>;
  Object.assign(g, dawn.globals);
  // ATTNZOO_DAWN_TOGGLES (comma-separated Dawn toggles, e.g. disable_robustness) is for measuring
  // what Dawn's safety checks cost on a GPU; the defaults stay Dawn's.
  const toggles = process.env.ATTNZOO_DAWN_TOGGLES?.trim();
  const dawnOptions = [
    ...(software ? ['backend=opengles'] : []),
    ...(toggles ? [`enable-dawn-features=${toggles}`] : []),
    ...(options.dawnOptions ?? []),
  ];
  const gpu = dawn.create(dawnOptions) as GPU;
  if (!g.navigator || typeof g.navigator !== 'object') g.navigator = {};
  Object.defineProperty(g.navigator as object, 'gpu', { value: gpu, configurable: true });

  const requestOptions = (
    software ? { featureLevel: 'compatibility' } : { powerPreference: 'high-performance' }
  ) as GPURequestAdapterOptions;
  const adapter = await gpu.requestAdapter(requestOptions);
  if (!adapter) {
    throw new Error(
      software
        ? 'No software WebGPU adapter: install Mesa (apt-get install libegl1 libegl-mesa0 libgles2).'
        : 'No WebGPU adapter found: no Vulkan/Metal/D3D12 GPU driver is visible to Dawn.',
    );
  }
  const info = adapter.info;
  const summary: WebGPUAdapterSummary = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    features: [...adapter.features].map(String).sort(),
    software,
  };

  const webgpu = await import('@tensorflow/tfjs-backend-webgpu');
  patchWebGPUCast(tf, webgpu.webgpu_util as never);
  patchWebGPUSplit(tf);
  // Tiled products (split K for weight gradients); setWebGPUGemm(false) or ATTNZOO_WEBGPU_GEMM=0 turns them off.
  patchWebGPUGemm(tf);
  // The flag exists once the backend module is evaluated.
  const submitBatch = submitBatchSize(options.submitBatch);
  if (submitBatch !== undefined) tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', submitBatch);
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend(
    'webgpu',
    async () => {
      const wanted = ['timestamp-query', 'subgroups', 'shader-f16'] as GPUFeatureName[];
      const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
      const l = adapter.limits;
      const device = await adapter.requestDevice({
        requiredFeatures,
        requiredLimits: {
          maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
          maxBufferSize: l.maxBufferSize,
          maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
          // More inputs per concat and outputs per split dispatch (tfjs asks for the default 8).
          maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
        },
      });
      return new webgpu.WebGPUBackend(device, info);
    },
    3,
  );
  return summary;
}

/** What the child process runs: asks Dawn for a hardware adapter and prints what it found. */
const PROBE_SCRIPT = [
  'const [url, options] = process.argv.slice(1);',
  'let out;',
  'try {',
  '  const dawn = await import(url);',
  '  Object.assign(globalThis, dawn.globals);',
  "  const adapter = await dawn.create(JSON.parse(options)).requestAdapter({ powerPreference: 'high-performance' });",
  '  out = { found: Boolean(adapter) };',
  '} catch (error) {',
  '  out = { found: false, error: String(error?.message ?? error) };',
  '}',
  'process.stdout.write(JSON.stringify(out));',
  'process.exit(0);',
].join('\n');

/**
 * Asks Dawn for a hardware adapter in a child process, so that what the native library prints
 * while it looks (e.g. `Couldn't load Vulkan: libvulkan.so.1 ...` with a C++ source line on a
 * machine without a GPU driver) stays off the terminal. Returns undefined when an adapter
 * answered, else why none did, in one line (with Dawn's own first message).
 */
export async function probeHardwareAdapter(
  dawnOptions: string[] = [],
  timeoutMs = 60_000,
): Promise<string | undefined> {
  const { createRequire } = await import(/* @vite-ignore */ 'node:module');
  const { spawn } = await import(/* @vite-ignore */ 'node:child_process');
  const { pathToFileURL } = await import(/* @vite-ignore */ 'node:url');
  const req = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
  let entry: string;
  try {
    entry = req.resolve('webgpu');
  } catch {
    return 'the webgpu package (Dawn) is not installed';
  }
  const args = [
    '--input-type=module',
    '-e',
    PROBE_SCRIPT,
    pathToFileURL(entry).href,
    JSON.stringify(dawnOptions),
  ];
  const { code, signal, stdout, stderr } = await new Promise<{
    code: number | null;
    signal: string | null;
    stdout: string;
    stderr: string;
  }>((done, fail) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d;
    });
    child.on('error', fail);
    child.on('close', (c: number | null, s: string | null) =>
      done({ code: c, signal: s, stdout: out, stderr: err }),
    );
  });
  let answer: { found: boolean; error?: string } | undefined;
  try {
    answer = JSON.parse(stdout);
  } catch {
    answer = undefined;
  }
  if (answer?.found) return undefined;
  const said = dawnMessage(answer?.error ?? stderr);
  if (answer && !answer.error) {
    return `No WebGPU adapter found: no Vulkan/Metal/D3D12 GPU driver is visible to Dawn${said ? ` (${said})` : ''}`;
  }
  const how = answer ? 'failed' : signal ? `was stopped by ${signal}` : `exited with code ${code}`;
  return `Dawn ${how} while looking for an adapter${said ? ` (${said})` : ''}`;
}

/** The first line a native library printed, without its stack or source location. */
export function dawnMessage(stderr: string): string {
  const line = stderr
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('at '));
  if (!line) return '';
  const text = line.replace(/^(Warning|Error):\s*/i, '');
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** The submit batch from the option or `$ATTNZOO_WEBGPU_SUBMIT_BATCH`; undefined keeps tfjs's default. */
export function submitBatchSize(option?: number): number | undefined {
  const raw = option ?? process.env.ATTNZOO_WEBGPU_SUBMIT_BATCH;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(
      `The WebGPU submit batch must be a positive integer (dispatches per command buffer), got ${JSON.stringify(raw)}: ` +
        'fix ATTNZOO_WEBGPU_SUBMIT_BATCH or the submitBatch option.',
    );
  }
  return n;
}

/**
 * A name for the adapter that says which GPU it is: Dawn's `device` (e.g. `nvidia-h200`) first,
 * then its description (on NVIDIA only the driver version), else vendor and architecture.
 */
export function adapterName(
  a: Pick<WebGPUAdapterSummary, 'vendor' | 'architecture' | 'device' | 'description'>,
): string {
  const device = a.device.trim();
  const description = a.description.trim();
  if (device && description && device !== description) return `${device} (${description})`;
  return device || description || [a.vendor, a.architecture].filter(Boolean).join(' ');
}
