import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Partial downloads when several processes fill the same cache. Each process writes into a file of
 * its own (`<dest><suffix>-<pid>-<random>`) and renames it over `<dest>` once verified: rename is
 * atomic, so readers see no file or a whole one, and two processes that finish the same file both
 * put the same verified bytes there. `<dest><suffix>` is the resumable leftover of an interrupted
 * run: one process claims it by renaming it to its own name (only one rename can win).
 *
 * The suffix is the caller's (hub keeps `.partial`, datasets `.part`): caches written before keep
 * resuming.
 */

/** The suffix of resumable leftovers unless a caller names its own. */
export const DEFAULT_PARTIAL_SUFFIX = '.partial';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function ownPattern(suffix: string): RegExp {
  return new RegExp(`^(.*)${escapeRegExp(suffix)}-(\\d+)-[0-9a-f]+$`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

/** Returns this process's own partial file for `dest`, holding the resumable leftover if there was one. */
export async function claimPartial(dest: string, suffix = DEFAULT_PARTIAL_SUFFIX): Promise<string> {
  const mine = `${dest}${suffix}-${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.rename(`${dest}${suffix}`, mine).catch(ignoreMissing);
  return mine;
}

/** Hands an unfinished download back as the resumable leftover for the next run. */
export async function releasePartial(
  mine: string,
  dest: string,
  suffix = DEFAULT_PARTIAL_SUFFIX,
): Promise<void> {
  await fs.rename(mine, `${dest}${suffix}`).catch(ignoreMissing);
}

/**
 * Own partial files of processes that no longer run (killed mid-download): the first becomes the
 * resumable leftover of its file while that file is missing, the others are removed. Partial files
 * of live processes are left alone.
 */
export async function sweepDeadPartials(folder: string, suffix = DEFAULT_PARTIAL_SUFFIX): Promise<void> {
  const own = ownPattern(suffix);
  const exists = (f: string) =>
    fs.stat(f).then(
      () => true,
      () => false,
    );
  const walk = async (dir: string): Promise<void> => {
    const items = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const item of items) {
      const path = join(dir, item.name);
      if (item.isDirectory()) {
        await walk(path);
        continue;
      }
      const m = own.exec(item.name);
      if (!m || alive(Number(m[2]))) continue;
      const dest = join(dirname(path), m[1]);
      const shared = `${dest}${suffix}`;
      // a leftover is worth keeping only while its file is still missing and nobody kept another
      if ((await exists(dest)) || (await exists(shared))) await fs.rm(path, { force: true });
      else await fs.rename(path, shared).catch(ignoreMissing);
    }
  };
  await walk(folder);
}

/** A temporary name next to `path` that no other process uses. */
export function ownTemp(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}
