import { homedir } from 'node:os';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { DatasetError } from '../errors';

/**
 * The cache root: `cacheDir` if given, else `$ATTNZOO_CACHE`, else `$XDG_CACHE_HOME/attnzoo`, else
 * `~/.cache/attnzoo`. A path inside a `node_modules` folder is refused (it would vanish on reinstall).
 */
export function resolveCacheDir(cacheDir?: string, env: NodeJS.ProcessEnv = process.env): string {
  const base =
    cacheDir ??
    env.ATTNZOO_CACHE ??
    join(
      env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache'),
      'attnzoo',
    );
  const abs = resolve(base);
  if (abs.split(sep).includes('node_modules')) {
    throw new DatasetError(
      'BAD_CACHE_DIR',
      `cache directory ${abs} is inside node_modules; set ATTNZOO_CACHE (or pass cacheDir) to a folder outside it`,
    );
  }
  return abs;
}

/** Where a data set's file lives in the cache: `<root>/datasets/<name>/<file>`. */
export function cachePath(root: string, dataset: string, file: string): string {
  return join(root, 'datasets', dataset, file);
}
