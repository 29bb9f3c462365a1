import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type BackendChoice, selectBackend } from '@attnzoo/runtime';
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
 * Selects the backend for a command. Optional native backends (tfjs-node; tfjs-node-gpu where
 * CUDA is present) are installed for this app, so they are looked up and imported from here, not
 * from @attnzoo/runtime; a build whose native addon is missing is reported without loading it.
 */
export function chooseBackend(backend: string | undefined, adapter?: string): Promise<BackendChoice> {
  return selectBackend(tf, {
    backend,
    webgpu: adapter ? { adapter: adapter as 'hardware' | 'software' } : undefined,
    importModule: (name) => import(/* @vite-ignore */ name),
    tensorflow: { packageDir: installedPackageDir },
  });
}
