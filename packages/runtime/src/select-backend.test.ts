import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { parseBackendName } from './backend-names';
import { selectBackend } from './select-backend';
import { setWasmKernelFixes } from './wasm-kernel-fixes';

const quiet = () => {};

describe('selectBackend', () => {
  it('falls past a missing tfjs-node and reports why', async () => {
    const lines: string[] = [];
    const choice = await selectBackend(tf, {
      backend: 'auto',
      log: (l) => lines.push(l),
      // tfjs-node is absent on this machine; webgpu is made unavailable to test the next step down.
      importModule: async (name) => {
        if (name.startsWith('@tensorflow/tfjs-node')) throw new Error(`Cannot find package '${name}'`);
        return import(/* @vite-ignore */ name);
      },
      webgpu: { adapter: 'hardware', dawnOptions: ['backend=null-does-not-exist'] },
    });
    expect(['webgpu', 'wasm']).toContain(choice.backend);
    expect(choice.attempts[0]).toEqual({
      backend: 'tensorflow',
      unavailable: expect.stringContaining('@tensorflow/tfjs-node-gpu is not installed'),
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^attnzoo backend: (webgpu|wasm).*skipped tensorflow:/);
    expect(tf.getBackend()).toBe(choice.backend);
  });

  it('explains a tfjs-node whose native addon failed to install', async () => {
    const choice = await selectBackend(tf, {
      backend: 'auto',
      log: quiet,
      importModule: async (name) => {
        if (name.startsWith('@tensorflow/tfjs-node')) {
          throw new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: x');
        }
        if (name === '@tensorflow/tfjs-backend-webgpu') throw new Error('not here');
        return import(/* @vite-ignore */ name);
      },
    });
    expect(choice.attempts[0].unavailable).toMatch(/native addon is missing/);
  });

  it('uses the requested backend and says so', async () => {
    const lines: string[] = [];
    const choice = await selectBackend(tf, { backend: 'cpu', log: (l) => lines.push(l) });
    expect(choice.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(lines[0]).toBe('attnzoo backend: cpu [requested]');
  });

  it("turns on the wasm kernel fixes when it picks wasm (tfjs's own BatchMatMul and Tile are replaced)", async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    await selectBackend(tf, { backend: 'wasm', log: quiet });
    const fixed = ['BatchMatMul', 'Tile'].map((k) => tf.getKernel(k, 'wasm').kernelFunc);
    setWasmKernelFixes(tf, false);
    const stock = ['BatchMatMul', 'Tile'].map((k) => tf.getKernel(k, 'wasm').kernelFunc);
    setWasmKernelFixes(tf, true);
    for (const [i, f] of fixed.entries()) expect(f).not.toBe(stock[i]);
  });

  it('reads ATTNZOO_BACKEND', async () => {
    process.env.ATTNZOO_BACKEND = 'wasm';
    try {
      const choice = await selectBackend(tf, { log: quiet });
      expect(choice.backend).toBe('wasm');
    } finally {
      delete process.env.ATTNZOO_BACKEND;
    }
  });

  it('fails loudly when a requested backend is unavailable', async () => {
    await expect(
      selectBackend(tf, {
        backend: 'tensorflow',
        log: quiet,
        importModule: async (name) => {
          throw new Error(`Cannot find package '${name}'`);
        },
      }),
    ).rejects.toThrow(/Backend "tensorflow" was requested but is not available: .*not installed.*--backend/);
  });

  it('rejects unknown names with the list of valid ones', () => {
    expect(() => parseBackendName('cuda', 'ATTNZOO_BACKEND')).toThrow(
      'Unknown backend "cuda" from ATTNZOO_BACKEND: use one of auto, tensorflow, webgpu, wasm, cpu.',
    );
  });
});
