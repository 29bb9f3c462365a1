// The disk cache of URL presets and their resumable, verified downloads.
import { existsSync, promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { claimPartial, hashFile, ownTemp, releasePartial, sweepDeadPartials } from '@attnzoo/download';
import { errorMessage, PresetError } from '../errors';
import {
  MANIFEST_FILE,
  type ManifestEntry,
  type PresetManifest,
  parseManifest,
  sha256Hex,
  verifyFile,
} from '../manifest';
import {
  checkManifestPin,
  checkPresetSize,
  DEFAULT_MAX_PRESET_BYTES,
  type FetchLike,
  fetchBytes,
  httpError,
  type ProgressCallback,
  presetFileUrl,
} from '../remote';
import { boundedFetch, checkPresetUrl } from '../url-policy';
import { writeError, writeFileSynced } from './save';

/** `$ATTNZOO_CACHE`, else `$XDG_CACHE_HOME/attnzoo`, else `~/.cache/attnzoo`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ATTNZOO_CACHE) return resolve(env.ATTNZOO_CACHE);
  if (env.XDG_CACHE_HOME) return join(resolve(env.XDG_CACHE_HOME), 'attnzoo');
  return join(homedir(), '.cache', 'attnzoo');
}

/** The cache folder of a URL preset: readable host/path plus a hash of the full URL. */
export async function cacheFolderFor(base: string, cacheDir: string): Promise<string> {
  const url = new URL(base);
  const readable = `${url.host}${url.pathname}`
    .replace(/[^a-zA-Z0-9._-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 80);
  const hash = (await sha256Hex(new TextEncoder().encode(base))).slice(0, 16);
  return join(cacheDir, 'presets', `${readable}-${hash}`);
}

async function fileMatches(path: string, entry: ManifestEntry): Promise<boolean> {
  const stat = await fs.stat(path).catch(() => undefined);
  if (!stat?.isFile() || stat.size !== entry.size) return false;
  return (await hashFile(path)).sha256 === entry.sha256;
}

class RetryableError extends PresetError {}

async function downloadOnce(
  fetchFn: FetchLike,
  url: string,
  partial: string,
  name: string,
  entry: ManifestEntry,
  progress?: ProgressCallback,
): Promise<void> {
  let have = (await fs.stat(partial).catch(() => undefined))?.size ?? 0;
  if (have > entry.size) {
    await fs.rm(partial, { force: true });
    have = 0;
  }
  if (have === entry.size) return;
  let response: Response;
  try {
    response = await fetchFn(url, have > 0 ? { headers: { Range: `bytes=${have}-` } } : undefined);
  } catch (error) {
    if (error instanceof PresetError) throw error;
    throw new RetryableError('download', `Cannot fetch ${url}: ${errorMessage(error)}.`, { cause: error });
  }
  if (response.status === 416) {
    await response.body?.cancel();
    await fs.rm(partial, { force: true });
    throw new RetryableError('download', `${url} refused to resume the download: starting again.`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    const error = httpError(url, response);
    if (response.status >= 500 || response.status === 429)
      throw new RetryableError(error.code, error.message);
    throw error;
  }
  const start = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
  const append = response.status === 206 && start !== null && Number(start[1]) === have;
  if (!append) have = 0; // the server sent the whole file
  const cacheWrite = (error: unknown) =>
    writeError(
      error,
      `Writing ${name} into the cache (${dirname(partial)})`,
      'the files already cached are unchanged',
    );
  const handle = await fs.open(partial, append ? 'a' : 'w').catch((error) => {
    throw cacheWrite(error) ?? error;
  });
  let loaded = have;
  try {
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (loaded + value.byteLength > entry.size) {
          await reader.cancel();
          throw new PresetError(
            'checksum',
            `${url} sent more than the ${entry.size} bytes the manifest lists for ${name}: the file on the server changed; nothing was used.`,
          );
        }
        await handle.write(value);
        loaded += value.byteLength;
        progress?.({ file: name, loaded, total: entry.size, phase: 'download' });
      }
    }
    await handle.sync();
  } catch (error) {
    if (error instanceof PresetError) throw error;
    const failedWrite = cacheWrite(error);
    if (failedWrite) throw failedWrite;
    throw new RetryableError(
      'truncated',
      `The download of ${name} from ${url} broke after ${loaded} of ${entry.size} bytes (${errorMessage(error)}); ` +
        'run again to resume it.',
      { cause: error },
    );
  } finally {
    await handle.close();
  }
  if (loaded < entry.size) {
    throw new RetryableError(
      'truncated',
      `The download of ${name} from ${url} ended after ${loaded} of ${entry.size} bytes; run again to resume it.`,
    );
  }
}

/**
 * Downloads one file of a preset into a partial file of this process's own (taking over the
 * resumable `<dest>.partial` of an interrupted run, resuming it with an HTTP Range request),
 * verifies its size and sha256 against the manifest, then renames it into place. A file that fails
 * the check is deleted, never used; a download that breaks is kept as `<dest>.partial` for the next run.
 */
export async function downloadFile(
  url: string,
  dest: string,
  name: string,
  entry: ManifestEntry,
  options: { fetch?: FetchLike; progress?: ProgressCallback; retries?: number } = {},
): Promise<void> {
  const fetchFn: FetchLike = options.fetch ?? boundedFetch();
  await fs.mkdir(dirname(dest), { recursive: true });
  const partial = await claimPartial(dest);
  const retries = options.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    try {
      await downloadOnce(fetchFn, url, partial, name, entry, options.progress);
      break;
    } catch (error) {
      if (!(error instanceof RetryableError) || attempt >= retries) {
        if (error instanceof PresetError && !(error instanceof RetryableError)) {
          await fs.rm(partial, { force: true });
        } else {
          await releasePartial(partial, dest);
        }
        throw error instanceof RetryableError
          ? new PresetError(error.code, error.message, { cause: error })
          : error;
      }
      await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
    }
  }
  const bytes = new Uint8Array(await fs.readFile(partial));
  try {
    await verifyFile(name, bytes, entry, url);
  } catch (error) {
    await fs.rm(partial, { force: true });
    throw error;
  }
  // Atomic: another process that finished the same file first put the same verified bytes there.
  await fs.rename(partial, dest);
  options.progress?.({ file: name, loaded: entry.size, total: entry.size, phase: 'verified' });
}

export interface DownloadPresetOptions {
  cacheDir?: string;
  offline?: boolean;
  progress?: ProgressCallback;
  fetch?: FetchLike;
  /** Download attempts after the first, each resuming where the last stopped (default 2). */
  retries?: number;
  manifestSha256?: string;
  /** Fetch the manifest again even when a complete copy is cached. */
  refresh?: boolean;
  /** The most bytes the preset's files may add up to (default 4 GiB). */
  maxBytes?: number;
}

async function missingOrBad(folder: string, manifest: PresetManifest): Promise<string[]> {
  const out: string[] = [];
  for (const [name, entry] of Object.entries(manifest.files)) {
    if (!(await fileMatches(join(folder, ...name.split('/')), entry))) out.push(name);
  }
  return out;
}

/**
 * Makes a complete, verified copy of a URL preset in the disk cache and returns its folder.
 * The manifest comes first; each file is then downloaded (resumably) and checked before it is
 * moved into place. Offline, it never touches the network and lists what is missing.
 */
export async function downloadPreset(base: string, options: DownloadPresetOptions = {}): Promise<string> {
  checkPresetUrl(base);
  const folder = await cacheFolderFor(base, options.cacheDir ?? defaultCacheDir());
  await sweepDeadPartials(folder);
  const manifestPath = join(folder, MANIFEST_FILE);
  const cached = existsSync(manifestPath) ? new Uint8Array(await fs.readFile(manifestPath)) : undefined;
  let manifestBytes: Uint8Array | undefined = cached;
  if (cached && options.manifestSha256) {
    try {
      await checkManifestPin(cached, options.manifestSha256, manifestPath);
    } catch {
      manifestBytes = undefined;
    }
  }
  if (manifestBytes) {
    try {
      parseManifest(manifestBytes, base);
    } catch {
      manifestBytes = undefined; // a damaged cached manifest is fetched again (or reported offline)
    }
  }
  if (manifestBytes && !options.refresh) {
    const manifest = parseManifest(manifestBytes, base);
    const missing = await missingOrBad(folder, manifest);
    if (!missing.length) return folder;
    if (options.offline) {
      throw new PresetError(
        'offline',
        `Offline and the cached copy of ${base} (${folder}) is incomplete: missing or damaged ${missing.join(', ')}. ` +
          'Run once without offline to finish the download.',
      );
    }
  } else if (options.offline) {
    throw new PresetError(
      'offline',
      `Offline and ${base} is not in the cache (${folder}; missing ${MANIFEST_FILE} and every file): ` +
        'run once without offline, or point cacheDir / ATTNZOO_CACHE at a cache that has it.',
    );
  }
  if (!manifestBytes || options.refresh) {
    const url = presetFileUrl(base, MANIFEST_FILE);
    manifestBytes = await fetchBytes(
      options.fetch ?? boundedFetch(),
      url,
      MANIFEST_FILE,
      0,
      options.progress,
    );
    await checkManifestPin(manifestBytes, options.manifestSha256, url);
    parseManifest(manifestBytes, base);
    await fs.mkdir(folder, { recursive: true });
    const temp = ownTemp(manifestPath);
    await writeFileSynced(temp, manifestBytes);
    await fs.rename(temp, manifestPath);
  }
  const manifest = parseManifest(manifestBytes, base);
  checkPresetSize(manifest, options.maxBytes ?? DEFAULT_MAX_PRESET_BYTES, base);
  for (const [name, entry] of Object.entries(manifest.files)) {
    const dest = join(folder, ...name.split('/'));
    if (await fileMatches(dest, entry)) {
      options.progress?.({ file: name, loaded: entry.size, total: entry.size, phase: 'cached' });
      continue;
    }
    // dest is not removed first: another process may be reading a verified copy it just put there
    await downloadFile(presetFileUrl(base, name), dest, name, entry, options);
  }
  return folder;
}
