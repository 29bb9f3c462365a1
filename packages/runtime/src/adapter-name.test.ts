import { describe, expect, it } from 'vitest';
import { adapterName } from './webgpu-node';

describe('adapterName', () => {
  it("names the GPU by Dawn's device id when the description is only a driver version", () => {
    const nvidia = {
      vendor: 'nvidia',
      architecture: '',
      device: 'nvidia-h200',
      description: 'NVIDIA: 580.159.04',
    };
    expect(adapterName(nvidia)).toBe('nvidia-h200 (NVIDIA: 580.159.04)');
    const mesa = { vendor: 'mesa', architecture: 'llvmpipe', device: '', description: 'llvmpipe (LLVM 15)' };
    expect(adapterName(mesa)).toBe('llvmpipe (LLVM 15)');
    expect(adapterName({ vendor: 'v', architecture: 'a', device: '', description: '' })).toBe('v a');
  });
});
