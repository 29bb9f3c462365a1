#!/usr/bin/env node
// Runs before `turbo run test`: resolves the data folder the tests will read (the full archives
// in ATTNZOO_DATA_DIR or ../shared/data, else the committed slices in packages/fixtures/data),
// says which on one line, and records its state in .attnzoo-data-state.json, an input of turbo's
// test task (turbo.json): adding, removing or replacing the full archives re-runs the tests
// instead of replaying cached logs. An ATTNZOO_DATA_DIR that lacks files fails here, naming them.
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_FILES, REPO_ROOT, resolveDataDir } from '../packages/fixtures/data-dir.mjs';

let resolved;
try {
  resolved = resolveDataDir();
} catch (e) {
  console.error(`attnzoo tests: ${e.message}`);
  process.exit(1);
}
const files = Object.fromEntries(
  DATA_FILES.map((name) => {
    const s = statSync(join(resolved.dir, name));
    return [name, { bytes: s.size, mtimeMs: Math.round(s.mtimeMs) }];
  }),
);
const state = { dir: resolved.dir, kind: resolved.kind, files };
writeFileSync(join(REPO_ROOT, '.attnzoo-data-state.json'), `${JSON.stringify(state, null, 2)}\n`);
console.error(
  resolved.kind === 'full'
    ? `attnzoo tests: full data sets from ${resolved.dir} (${resolved.note})`
    : `attnzoo tests: the fixture slices in ${resolved.dir} (${resolved.note}; set ATTNZOO_DATA_DIR to test on the full archives)`,
);
