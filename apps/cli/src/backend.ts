import { type BackendChoice, selectBackend } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Selects the backend for a command. Optional native backends (tfjs-node, tfjs-node-gpu) are
 * optional dependencies of this app, so they are imported from here, not from @attnzoo/runtime.
 */
export function chooseBackend(backend: string | undefined, adapter?: string): Promise<BackendChoice> {
  return selectBackend(tf, {
    backend,
    webgpu: adapter ? { adapter: adapter as 'hardware' | 'software' } : undefined,
    importModule: (name) => import(/* @vite-ignore */ name),
  });
}
