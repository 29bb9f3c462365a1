import { defineConfig } from 'vitest/config';

// One vitest config for the whole repo: each package is a project named after its folder
// (settings shared through vitest.project.ts), so `vitest run --project attention` runs one
// package and `vitest run` runs them all. Package scripts pass `--root ../..` so that they
// see the same projects.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'models/*/vitest.config.ts'],
  },
});
