import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimPartial, ownTemp, releasePartial, sweepDeadPartials } from './partial-files';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'attnzoo-download-partial-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has already exited (so it can be no download's owner any more). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('partial files', () => {
  it("claiming takes over the resumable leftover under this process's own name", async () => {
    const dest = join(dir, 'a.bin');
    await fs.writeFile(`${dest}.partial`, 'half');
    const mine = await claimPartial(dest);
    expect(basename(mine)).toMatch(new RegExp(`^a\\.bin\\.partial-${process.pid}-[0-9a-f]{8}$`));
    expect(await fs.readFile(mine, 'utf8')).toBe('half');
    expect(existsSync(`${dest}.partial`)).toBe(false);
    // a second claimer finds no leftover: only one rename wins
    const other = await claimPartial(dest);
    expect(other).not.toBe(mine);
    expect(existsSync(other)).toBe(false);
  });

  it('a claim without a leftover starts empty, and releasing hands the bytes back for the next run', async () => {
    const dest = join(dir, 'b.bin');
    const mine = await claimPartial(dest);
    expect(existsSync(mine)).toBe(false);
    await fs.writeFile(mine, 'some');
    await releasePartial(mine, dest);
    expect(await fs.readFile(`${dest}.partial`, 'utf8')).toBe('some');
    // releasing a file that was already removed is no error
    await releasePartial(mine, dest);
  });

  it("uses the caller's suffix (datasets keep .part)", async () => {
    const dest = join(dir, 'c.tar.gz');
    await fs.writeFile(`${dest}.part`, 'x');
    const mine = await claimPartial(dest, '.part');
    expect(basename(mine)).toMatch(/^c\.tar\.gz\.part-\d+-[0-9a-f]{8}$/);
    expect(await fs.readFile(mine, 'utf8')).toBe('x');
    await releasePartial(mine, dest, '.part');
    expect(existsSync(`${dest}.part`)).toBe(true);
    expect(existsSync(`${dest}.partial`)).toBe(false);
  });

  it("the sweep adopts a dead process's partial as the leftover, drops the rest, and leaves live ones alone", async () => {
    const dead = deadPid();
    await fs.mkdir(join(dir, 'sub'));
    const orphan = join(dir, 'sub', `d.bin.partial-${dead}-0000000a`);
    const second = join(dir, 'sub', `d.bin.partial-${dead}-0000000b`);
    const done = join(dir, `e.bin.partial-${dead}-0000000c`);
    const live = join(dir, `f.bin.partial-${process.pid}-0000000d`);
    const other = join(dir, `g.bin.part-${dead}-0000000e`);
    for (const f of [orphan, second, done, live, other]) await fs.writeFile(f, basename(f));
    await fs.writeFile(join(dir, 'e.bin'), 'verified');
    await sweepDeadPartials(dir);
    // one of the two dead partials of d.bin became its leftover, the other was removed
    const sub = await fs.readdir(join(dir, 'sub'));
    expect(sub).toEqual(['d.bin.partial']);
    // e.bin is complete: its dead partial is just removed
    expect(existsSync(done)).toBe(false);
    expect(existsSync(join(dir, 'e.bin.partial'))).toBe(false);
    // a live process's partial and another suffix's files are not touched
    expect(existsSync(live)).toBe(true);
    expect(existsSync(other)).toBe(true);
    await sweepDeadPartials(dir, '.part');
    expect(existsSync(join(dir, 'g.bin.part'))).toBe(true);
  });

  it('sweeping a folder that does not exist is no error', async () => {
    await sweepDeadPartials(join(dir, 'missing'));
  });

  it('a temporary name is hidden, beside the file, and different each time', () => {
    const a = ownTemp(join(dir, 'manifest.json'));
    const b = ownTemp(join(dir, 'manifest.json'));
    expect(a).not.toBe(b);
    expect(basename(a)).toMatch(new RegExp(`^\\.manifest\\.json\\.tmp-${process.pid}-[0-9a-f]{8}$`));
    expect(a.startsWith(dir)).toBe(true);
  });
});
