import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  INSTALL_ERROR_FILE,
  nativeAddonProblem,
  nativeCandidates,
  TFJS_NODE,
  TFJS_NODE_GPU,
  withoutKernelReRegistrationWarnings,
} from './native-tensorflow';
import { dawnMessage } from './webgpu-node';

const root = mkdtempSync(join(tmpdir(), 'native-tf-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('native tensorflow builds', () => {
  it('tries the GPU build only where CUDA is present', async () => {
    expect(await nativeCandidates({ cuda: false })).toEqual([TFJS_NODE]);
    expect(await nativeCandidates({ cuda: true })).toEqual([TFJS_NODE_GPU, TFJS_NODE]);
  });

  it('tells a complete install from one whose libtensorflow download failed, from its files', async () => {
    const complete = join(root, 'complete');
    mkdirSync(join(complete, 'lib', 'napi-v8'), { recursive: true });
    writeFileSync(join(complete, 'lib', 'napi-v8', 'tfjs_binding.node'), '');
    const broken = join(root, 'broken');
    mkdirSync(join(broken, 'lib', 'napi-v8'), { recursive: true });
    const recorded = join(root, 'recorded');
    mkdirSync(recorded);
    writeFileSync(join(recorded, INSTALL_ERROR_FILE), 'getaddrinfo ENOTFOUND storage.googleapis.com\n');
    const dirs: Record<string, string | undefined> = { complete, broken, bare: root, recorded };
    const problem = (name: string) => nativeAddonProblem(name, (n) => dirs[n]);
    expect(await problem('complete')).toBeUndefined();
    expect(await problem('broken')).toMatch(/native addon is missing/);
    expect(await problem('bare')).toMatch(/native addon is missing/);
    expect(await problem('absent')).toBe('is not installed');
    expect(await problem('recorded')).toBe(
      'is installed but its native addon is missing (its libtensorflow download failed at install: getaddrinfo ENOTFOUND storage.googleapis.com)',
    );
  });

  it("drops only tfjs's kernel re-registration warnings while a build loads", async () => {
    const seen: unknown[][] = [];
    const spy = vi.spyOn(console, 'warn').mockImplementation((...args) => void seen.push(args));
    try {
      await withoutKernelReRegistrationWarnings(async () => {
        console.warn("The kernel 'Add' for backend 'tensorflow' is already registered");
        console.warn('something else');
      });
      console.warn("The kernel 'Add' for backend 'tensorflow' is already registered");
    } finally {
      spy.mockRestore();
    }
    expect(seen).toEqual([
      ['something else'],
      ["The kernel 'Add' for backend 'tensorflow' is already registered"],
    ]);
  });

  it('keeps the first line of what Dawn printed, without its source location', () => {
    const stderr =
      "Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory\n" +
      '    at operator() (/home/runner/work/node-webgpu/third_party/dawn/src/dawn/native/vulkan/BackendVk.cpp:368)\n';
    expect(dawnMessage(stderr)).toBe(
      "Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory",
    );
    expect(dawnMessage('')).toBe('');
  });
});
