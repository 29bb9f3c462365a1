import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adapterName, type BackendChoice, selectBackend } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';

const require = createRequire(import.meta.url);

/** The folder of a package installed for this app (an optional dependency or peer), if any. */
export function installedPackageDir(name: string): string | undefined {
  try {
    const dir = dirname(require.resolve(`${name}/package.json`));
    return existsSync(join(dir, 'package.json')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The CPU backends as string-literal imports, so that a bundler (scripts/bundle-for-device.mjs)
 * includes them; a computed import() would stay external. In the device bundle the .wasm files
 * sit next to the script, and the backend's emscripten code reads `__dirname`.
 */
const BACKEND_MODULES: Record<string, () => Promise<unknown>> = {
  '@tensorflow/tfjs-backend-cpu': () => import('@tensorflow/tfjs-backend-cpu'),
  '@tensorflow/tfjs-backend-wasm': async () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const g = globalThis as { __dirname?: string };
    if (typeof __dirname === 'undefined' && g.__dirname === undefined) g.__dirname = here;
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (existsSync(join(here, 'tfjs-backend-wasm.wasm'))) wasm.setWasmPaths(`${here}/`);
    return wasm;
  },
};

/**
 * Selects the backend for a command. Optional native backends (tfjs-node; tfjs-node-gpu where
 * CUDA is present) are installed for this app, so they are looked up and imported from here, not
 * from @attnzoo/runtime; a build whose native addon is missing is reported without loading it.
 */
export function chooseBackend(
  backend: string | undefined,
  adapter?: string,
  log?: (line: string) => void,
): Promise<BackendChoice> {
  return selectBackend(tf, {
    backend,
    webgpu: adapter ? { adapter: adapter as 'hardware' | 'software' } : undefined,
    importModule: (name) => (BACKEND_MODULES[name] ?? (() => import(/* @vite-ignore */ name)))(),
    tensorflow: { packageDir: installedPackageDir },
    ...(log ? { log } : {}),
  });
}

/** Where a run happened, for model cards: the backend (with the WebGPU adapter) and the hardware. */
export function runEnvironment(choice: BackendChoice): { backend: string; hardware: string } {
  const a = choice.webgpuAdapter;
  const gpu = a ? [adapterName(a), a.software ? '(software adapter)' : ''].join(' ').trim() : '';
  const cpu = `${cpus()[0]?.model?.trim() ?? 'unknown CPU'} × ${cpus().length}`;
  const backend = a
    ? `webgpu (Dawn, ${a.software ? 'software' : 'hardware'} adapter: ${gpu})`
    : choice.backend;
  return { backend, hardware: gpu ? `GPU ${gpu}; CPU ${cpu}` : `CPU ${cpu}` };
}
