import type { Options } from 'tsup';

/** Shared tsup settings: ESM + CJS + declarations, tfjs and workspace packages left external. */
export function libraryBuild(entry: Record<string, string>, extra: Partial<Options> = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: false,
    external: [/^@tensorflow\//, /^@attnzoo\//, 'webgpu'],
    ...extra,
  };
}
