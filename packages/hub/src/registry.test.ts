import { describe, expect, it, vi } from 'vitest';

describe('preset registry', () => {
  it('is one per process, even when the module is loaded twice (separately bundled entry points)', async () => {
    const first = await import('./registry');
    first.registerPreset({
      name: 'registry-test-preset',
      package: '@attnzoo/model-registry-test',
      task: 'test',
    });
    vi.resetModules();
    const second = await import('./registry');
    expect(second).not.toBe(first); // a fresh module instance, as a second bundle would have
    expect(second.getPreset('registry-test-preset')?.package).toBe('@attnzoo/model-registry-test');
    expect(second.unregisterPreset('registry-test-preset')).toBe(true);
    expect(first.getPreset('registry-test-preset')).toBeUndefined();
  });
});
