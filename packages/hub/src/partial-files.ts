import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Partial downloads when several processes fill the same cache. Each process writes into a file of
 * its own (`<dest>.partial-<pid>-<random>`) and renames it over `<dest>` once verified: rename is
 * atomic, so readers see no file or a whole one, and two processes that finish the same file both
 * put the same verified bytes there. `<dest>.partial` is the resumable leftover of an interrupted
 * run: one process claims it by renaming it to its own name (only one rename can win).
 */

const OWN = /^(.*)\.partial-(\d+)-[0-9a-f]+$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

/** Returns this process's own partial file for `dest`, holding the resumable leftover if there was one. */
export async function claimPartial(dest: string): Promise<string> {
  const mine = `${dest}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.rename(`${dest}.partial`, mine).catch(ignoreMissing);
  return mine;
}

/** Hands an unfinished download back as the resumable leftover for the next run. */
export async function releasePartial(mine: string, dest: string): Promise<void> {
  await fs.rename(mine, `${dest}.partial`).catch(ignoreMissing);
}

/**
 * Own partial files of processes that no longer run (killed mid-download): the first becomes the
 * resumable leftover of its file while that file is missing, the others are removed. Partial files of live processes are left alone.
 */
export async function sweepDeadPartials(folder: string): Promise<void> {
  const walk = async (dir: string): Promise<void> => {
    const items = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const item of items) {
      const path = join(dir, item.name);
      if (item.isDirectory()) {
        await walk(path);
        continue;
      }
      const m = OWN.exec(item.name);
      if (!m || alive(Number(m[2]))) continue;
      const dest = join(dirname(path), m[1]);
      const shared = `${dest}.partial`;
      const exists = (f: string) =>
        fs.stat(f).then(
          () => true,
          () => false,
        );
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
