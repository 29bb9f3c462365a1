import { defineProject } from 'vitest/config';
import { resolveDataDir } from './packages/fixtures/data-dir.mjs';

// The data folder every test reads (full archives or the committed slices; see
// packages/fixtures/README.md), passed on as ATTNZOO_DATA_DIR so that code which looks data up
// by name (the CLI's `--data imdb`, CIFAR-10 in @attnzoo/vit) finds the same files as the tests.
const data = resolveDataDir();

/**
 * Settings every package's vitest project shares. The `@attnzoo/source` export condition
 * makes sibling packages resolve to their TypeScript sources, so tests never run against a
 * stale `dist/`.
 */
export function packageProject(name: string, testTimeout = 120_000) {
  return defineProject({
    resolve: { conditions: ['@attnzoo/source', 'module', 'node', 'import', 'default'] },
    ssr: { resolve: { conditions: ['@attnzoo/source'], externalConditions: ['@attnzoo/source'] } },
    test: { name, testTimeout, hookTimeout: testTimeout, env: { ATTNZOO_DATA_DIR: data.dir } },
  });
}
