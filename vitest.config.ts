import { defineConfig } from 'vitest/config';

// One vitest config for the whole repo: each package is a project (its folder name),
// so `vitest run --project attention` runs one package and `vitest run` runs all.
// The `@attnzoo/source` condition lets tests import sibling packages from their
// TypeScript sources, so a test never depends on a stale `dist/`.
export default defineConfig({
  resolve: { conditions: ['@attnzoo/source'] },
  ssr: { resolve: { conditions: ['@attnzoo/source'], externalConditions: ['@attnzoo/source'] } },
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'models/*/vitest.config.ts'],
  },
});
