import { tmpdir } from 'node:os';
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
      tensorflow: { cuda: true },
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

  it('loads the GPU build only where CUDA is present, and never imports a build whose addon is missing', async () => {
    for (const cuda of [false, true]) {
      const imported: string[] = [];
      const choice = await selectBackend(tf, {
        backend: 'auto',
        log: quiet,
        importModule: async (name) => {
          imported.push(name);
          if (name === '@tensorflow/tfjs-backend-webgpu') throw new Error('not here');
          return import(/* @vite-ignore */ name);
        },
        // Both builds "installed" into folders without lib/napi-v*/tfjs_binding.node.
        tensorflow: { cuda, packageDir: () => tmpdir() },
        webgpu: { adapter: 'hardware', dawnOptions: ['backend=null-does-not-exist'] },
      });
      expect(imported.filter((n) => n.startsWith('@tensorflow/tfjs-node'))).toEqual([]);
      const reason = choice.attempts[0].unavailable;
      expect(reason).toContain('@tensorflow/tfjs-node is installed but its native addon is missing');
      if (cuda)
        expect(reason).toMatch(/^@tensorflow\/tfjs-node-gpu is installed but its native addon is missing/);
      else expect(reason).not.toContain('tfjs-node-gpu');
    }
  });

  it('reports an uninstalled build from its missing folder, without importing it', async () => {
    const imported: string[] = [];
    await expect(
      selectBackend(tf, {
        backend: 'tensorflow',
        log: quiet,
        importModule: async (name) => {
          imported.push(name);
          return {};
        },
        tensorflow: { cuda: false, packageDir: () => undefined },
      }),
    ).rejects.toThrow(/@tensorflow\/tfjs-node is not installed/);
    expect(imported).toEqual([]);
  });

  it("puts Dawn's own message into the reason when no hardware adapter answers", async () => {
    const choice = await selectBackend(tf, {
      backend: 'auto',
      log: quiet,
      tensorflow: { cuda: false, packageDir: () => undefined },
      webgpu: { adapter: 'hardware', dawnOptions: ['backend=null-does-not-exist'] },
    });
    expect(choice.backend).toBe('wasm');
    const webgpu = choice.attempts.find((a) => a.backend === 'webgpu');
    expect(webgpu?.unavailable).toBe(
      "Dawn failed while looking for an adapter (unrecognised backend 'null-does-not-exist')",
    );
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
