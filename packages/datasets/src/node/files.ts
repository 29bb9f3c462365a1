import { createReadStream, existsSync, statSync } from 'node:fs';
import { open, readdir, readFile, rm } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DatasetError } from '../errors';
import { checkDeclaredSize } from '../limits';
import type { ByteSource } from '../parsers/bytes';
import { type ArchiveEntry, readTar } from '../parsers/tar';
import { readZip } from '../parsers/zip';
import type { DatasetEntry, DatasetFile } from '../registry';

/** Reads a file as 256 KiB chunks. */
export function fileChunks(path: string): AsyncIterable<Uint8Array> {
  return createReadStream(path, { highWaterMark: 1 << 18 });
}

/** Native (zlib) streaming gunzip with errors mapped to DatasetError. */
export async function* nodeGunzip(src: AsyncIterable<Uint8Array>, what: string): AsyncGenerator<Uint8Array> {
  const gz = createGunzip();
  const input = src instanceof Readable ? src : Readable.from(src);
  input.on('error', (e) => gz.destroy(e));
  input.pipe(gz);
  try {
    for await (const c of gz) yield c as Uint8Array;
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    const msg = (e as Error).message;
    if (/unexpected end of file/i.test(msg)) {
      throw new DatasetError(
        'TRUNCATED',
        `${what}: gzip stream is truncated; remove the file and download it again`,
        { cause: e },
      );
    }
    if (/incorrect header check/i.test(msg)) {
      throw new DatasetError(
        'BAD_MAGIC',
        `${what}: not gzip data (wrong magic number); is this the right file?`,
        { cause: e },
      );
    }
    throw new DatasetError(
      'CORRUPT',
      `${what}: gzip data is corrupt (${msg}); remove the file and download it again`,
      { cause: e },
    );
  } finally {
    input.unpipe(gz);
    input.destroy();
    gz.destroy();
  }
}

async function startsWith(path: string, magic: number[]): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(magic.length);
    const { bytesRead } = await fh.read(b, 0, magic.length, 0);
    return bytesRead === magic.length && magic.every((x, i) => b[i] === x);
  } finally {
    await fh.close();
  }
}

/** The files of an archive on disk (zip, tar, tar.gz) as a stream of entries; nothing is unpacked to disk. */
export async function archiveEntries(
  path: string,
): Promise<AsyncIterable<ArchiveEntry> | Iterable<ArchiveEntry>> {
  const what = basename(path);
  if (statSync(path).isDirectory()) return directoryEntries(path);
  if (await startsWith(path, [0x50, 0x4b])) return readZip(await readFile(path), what);
  if (await startsWith(path, [0x1f, 0x8b])) return readTar(nodeGunzip(fileChunks(path), what), what);
  if (/\.(zip)$/i.test(path)) return readZip(await readFile(path), what);
  return readTar(fileChunks(path), what);
}

/** An extracted folder as archive entries (sorted paths, so the order is the same on every machine). */
export async function* directoryEntries(root: string): AsyncGenerator<ArchiveEntry> {
  const walk = async (dir: string): Promise<string[]> => {
    const items = await readdir(dir, { withFileTypes: true });
    items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const out: string[] = [];
    for (const it of items) {
      const p = join(dir, it.name);
      if (it.isDirectory()) out.push(...(await walk(p)));
      else if (it.isFile()) out.push(p);
    }
    return out;
  };
  for (const p of await walk(root)) {
    const size = statSync(p).size;
    const rel = relative(root, p).split(sep).join('/');
    yield {
      path: rel,
      size,
      body: () => fileChunks(p),
      bytes: async () => {
        checkDeclaredSize(p, size, 'maxFileBytes');
        return new Uint8Array(await readFile(p));
      },
    };
  }
}

/** Candidate names of a file in a local folder: the canonical name, with and without `.gz`, and aliases. */
function candidates(f: DatasetFile): string[] {
  const out = [f.name, ...(f.aliases ?? [])];
  for (const n of [...out]) {
    if (n.endsWith('.gz')) out.push(n.slice(0, -3));
    else out.push(`${n}.gz`);
  }
  return out;
}

export type Located = { kind: 'file'; path: string; fromCache: boolean } | { kind: 'folder'; path: string };

/**
 * Finds a data set file in a local source: the source itself when it is that file, a file of that
 * name (or alias, with or without .gz) in the source folder, or else the source folder read as the
 * extracted archive (for archive data sets).
 */
export function locateInSource(entry: DatasetEntry, f: DatasetFile, source: string): Located {
  if (!existsSync(source)) {
    throw new DatasetError(
      'SOURCE_NOT_FOUND',
      `source ${source} does not exist; pass a folder holding ${f.name} or the file itself`,
    );
  }
  const names = candidates(f);
  if (!statSync(source).isDirectory()) {
    const base = basename(source);
    if (entry.files.length === 1 || names.includes(base))
      return { kind: 'file', path: source, fromCache: false };
    throw new DatasetError(
      'SOURCE_NOT_FOUND',
      `${entry.name} needs ${entry.files.length} files (${entry.files.map((x) => x.name).join(', ')}); pass the folder holding them, not ${source}`,
    );
  }
  for (const n of names) {
    const p = join(source, n);
    if (existsSync(p) && statSync(p).isFile()) return { kind: 'file', path: p, fromCache: false };
  }
  const isArchive = /\.(tar\.gz|tgz|tar|zip)$/.test(f.name);
  if (isArchive) return { kind: 'folder', path: source };
  throw new DatasetError(
    'SOURCE_NOT_FOUND',
    `${f.name} (or ${names.slice(1).join(', ')}) not found in ${source}`,
  );
}

export function openLocated(l: Located, name: string): ByteSource {
  if (l.kind === 'folder') throw new DatasetError('SOURCE_NOT_FOUND', `${name} is not a file in ${l.path}`);
  return fileChunks(l.path);
}

export async function removeFromCache(path: string): Promise<void> {
  await rm(path, { force: true });
  await rm(`${path}.sha256`, { force: true });
  await rm(`${path}.part`, { force: true });
}
