import { defineProject } from 'vitest/config';

/**
 * Settings every package's vitest project shares. The `@attnzoo/source` export condition
 * makes sibling packages resolve to their TypeScript sources, so tests never run against a
 * stale `dist/`.
 */
export function packageProject(name: string, testTimeout = 120_000) {
  return defineProject({
    resolve: { conditions: ['@attnzoo/source', 'module', 'node', 'import', 'default'] },
    ssr: { resolve: { conditions: ['@attnzoo/source'], externalConditions: ['@attnzoo/source'] } },
    test: { name, testTimeout, hookTimeout: testTimeout },
  });
}
