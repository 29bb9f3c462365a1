import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * An exclusive claim on a folder for one writer (a training writing checkpoints), as a lock file
 * `<dir>/.lock` created with O_EXCL. A lock whose process is gone (killed, crashed) is stale and
 * is taken over; a lock of a live process, in this process or another, is refused.
 */
export interface LockHolder {
  pid: number;
  host: string;
  token: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class FolderLock {
  readonly path: string;
  private token: string | undefined;
  private readonly onExit = () => this.releaseSync();

  constructor(readonly dir: string) {
    this.path = join(dir, '.lock');
  }

  get held(): boolean {
    return this.token !== undefined;
  }

  /** Takes the lock or returns who holds it. Holding it already is fine. */
  async acquire(): Promise<{ ok: true } | { ok: false; holder: LockHolder | null }> {
    if (this.token) return { ok: true };
    await mkdir(this.dir, { recursive: true });
    const token = randomBytes(8).toString('hex');
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const fh = await open(this.path, 'wx');
        try {
          const holder: LockHolder = {
            pid: process.pid,
            host: hostname(),
            token,
            since: new Date().toISOString(),
          };
          await fh.writeFile(JSON.stringify(holder));
        } finally {
          await fh.close();
        }
        this.token = token;
        process.once('exit', this.onExit);
        return { ok: true };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const text = await readFile(this.path, 'utf8').catch(() => null);
      if (text === null) continue; // released meanwhile: try again
      let holder: LockHolder | null = null;
      try {
        holder = JSON.parse(text) as LockHolder;
      } catch {
        // being written right now, or damaged: a damaged lock older than a few seconds is stale
        const age = Date.now() - ((await stat(this.path).catch(() => null))?.mtimeMs ?? 0);
        if (age < 5000) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
      }
      const stale = holder === null || (holder.host === hostname() && !alive(holder.pid));
      if (!stale) return { ok: false, holder };
      await this.breakStale(text);
    }
    return { ok: false, holder: null };
  }

  /** Removes a stale lock, unless another process replaced it in the meantime. */
  private async breakStale(seen: string): Promise<void> {
    const aside = `${this.path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await rename(this.path, aside);
    } catch {
      return; // another process got there first
    }
    const moved = await readFile(aside, 'utf8').catch(() => null);
    if (moved !== seen) {
      // a fresh lock was moved aside by mistake: put it back, unless yet another one appeared
      await rename(aside, this.path).catch(() => undefined);
    }
    await rm(aside, { force: true });
  }

  async release(): Promise<void> {
    if (!this.token) return;
    const text = await readFile(this.path, 'utf8').catch(() => null);
    if (text && (JSON.parse(text) as LockHolder).token === this.token) await rm(this.path, { force: true });
    this.token = undefined;
    process.removeListener('exit', this.onExit);
  }

  private releaseSync(): void {
    try {
      const text = readFileSync(this.path, 'utf8');
      if ((JSON.parse(text) as LockHolder).token === this.token) unlinkSync(this.path);
    } catch {
      // nothing to release
    }
  }
}
