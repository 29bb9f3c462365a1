import { existsSync, promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cacheFolderFor, downloadPreset, fromPretrained, PresetError, save } from './node';
import { metadataFor, tinyEncoder, useCpu } from './testing/models';

// Writes fail on demand: the next open for writing of a path containing `failOn.part` rejects
// with that errno, as a full disk (ENOSPC) or a read-only folder (EACCES) would. Injected rather
// than set up with chmod, which does not stop a test running as root.
const failOn: { part?: string; code?: string } = {};
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const open = async (path: Parameters<typeof real.promises.open>[0], flags?: string, mode?: number) => {
    if (failOn.part && flags && /[wa]/.test(flags) && String(path).includes(failOn.part)) {
      const code = failOn.code ?? 'ENOSPC';
      failOn.part = undefined;
      throw Object.assign(new Error(`${code}: simulated, open '${path}'`), { code });
    }
    return real.promises.open(path, flags, mode);
  };
  const promises = { ...real.promises, open };
  return { ...real, promises, default: { ...real, promises } };
});

let root: string;
beforeAll(async () => {
  await useCpu();
  root = await fs.mkdtemp(join(tmpdir(), 'attnzoo-hub-full-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('a preset save that fails part-way', () => {
  for (const code of ['ENOSPC', 'EACCES']) {
    it(`${code} while replacing a saved preset leaves the old one loadable and says what failed`, async () => {
      const dir = join(root, `kept-${code}`);
      await save(tinyEncoder('sdpa'), dir, metadataFor('first'));
      Object.assign(failOn, { part: 'group1-shard1of1.bin', code });
      const error = await save(tinyEncoder('super'), dir, metadataFor('second'), { overwrite: true }).catch(
        (e) => e,
      );
      expect(error).toBeInstanceOf(PresetError);
      expect(error.code).toBe('write');
      expect(error.message).toMatch(
        new RegExp(
          `^Saving the preset into .*kept-${code} failed \\(${code}: simulated, open .*group1-shard1of1\\.bin'\\): the preset that was there is unchanged; ${code === 'ENOSPC' ? 'free disk space' : 'make the folder writable'}, or use another folder, and try again\\.$`,
        ),
      );
      const loaded = await fromPretrained(dir);
      expect(loaded.metadata.name).toBe('first');
      loaded.model.dispose();
      expect((await fs.readdir(root)).filter((n) => n.startsWith(`.kept-${code}`))).toEqual([]);
    });
  }
});

describe('a cache write that fails part-way', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const served = join(root, 'served');
    await save(tinyEncoder('sdpa'), served, metadataFor('served'));
    server = createServer(async (req, res) => {
      const name = (req.url ?? '').split('/').at(-1) ?? '';
      if (name.includes('..') || !existsSync(join(served, name))) return void res.writeHead(404).end();
      res.writeHead(200).end(await fs.readFile(join(served, name)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/p/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('disk full on a shard: a write error (no retries), no partial file left, and the next run completes', async () => {
    const cacheDir = join(root, 'cache');
    Object.assign(failOn, { part: 'group1-shard1of1.bin.partial', code: 'ENOSPC' });
    await expect(downloadPreset(base, { cacheDir })).rejects.toMatchObject({
      code: 'write',
      message: expect.stringMatching(
        /^Writing group1-shard1of1\.bin into the cache \(.*\) failed \(ENOSPC: simulated.*\): the files already cached are unchanged; free disk space, or use another folder, and try again\.$/,
      ),
    });
    const folder = await cacheFolderFor(base, cacheDir);
    expect((await fs.readdir(folder)).filter((n) => n.includes('.partial'))).toEqual([]);
    expect(await downloadPreset(base, { cacheDir })).toBe(folder);
    const loaded = await fromPretrained(folder);
    expect(loaded.metadata.name).toBe('served');
    loaded.model.dispose();
  });
});
