import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * A data file from the local data folder: `$ATTNZOO_DATA_DIR/<file>` when ATTNZOO_DATA_DIR is
 * set (and only there), else `shared/data/<file>` in the working folder or any folder above it (a
 * checkout beside a shared/ folder). Undefined when it is not there.
 */
export function findLocalDataFile(file: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dataDir = env.ATTNZOO_DATA_DIR;
  if (dataDir) {
    const candidate = resolve(dataDir, file);
    return existsSync(candidate) ? candidate : undefined;
  }
  let dir = resolve('.');
  for (;;) {
    const candidate = join(dir, 'shared', 'data', file);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Where findLocalDataFile looked, for error messages. */
export function localDataFolders(env: NodeJS.ProcessEnv = process.env): string {
  return env.ATTNZOO_DATA_DIR
    ? `ATTNZOO_DATA_DIR (${resolve(env.ATTNZOO_DATA_DIR)})`
    : 'shared/data in the working folder or above it (or set ATTNZOO_DATA_DIR)';
}
