import { selectBackend } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { profileTrainingStep } from './vit-profile';

describe('profileTrainingStep', () => {
  it('times steps and lists one step kernel by kernel (cpu: no WebGPU census)', async () => {
    await selectBackend(tf, { backend: 'cpu', log: () => {} });
    const p = await profileTrainingStep('vit-mnist-super', 2, 1);
    expect(p.msPerStep).toBeGreaterThan(0);
    expect(p.kernelsPerStep).toBe(p.kernels.reduce((n, k) => n + k.count, 0));
    expect(p.kernels.map((k) => k.name)).toContain('BatchMatMul');
    expect(p.webgpu).toBeUndefined();
  });

  it('on WebGPU also counts one step’s dispatches by program and its uploads', async () => {
    await selectBackend(tf, { backend: 'webgpu', webgpu: { adapter: 'software' }, log: () => {} });
    const p = await profileTrainingStep('vit-mnist-super', 2, 1);
    const census = p.webgpu!;
    // Reshapes and identities launch nothing: fewer dispatches than kernels.
    expect(census.dispatches).toBeGreaterThan(100);
    expect(census.dispatches).toBeLessThan(p.kernelsPerStep);
    // The products run on attnzoo's tiled kernels, which the census names by label.
    expect(census.byKernel.map((b) => b.kernel).some((k) => k.startsWith('AttnzooGemm'))).toBe(true);
    expect(census.byProgram.map((b) => b.program)).not.toContain('MatMulPackedProgram');
    expect(census.uploads).toBeGreaterThan(0); // the batch, at least
    await selectBackend(tf, { backend: 'cpu', log: () => {} });
  });
});
