// The disk cache of URL presets and their resumable, verified downloads.
import { existsSync, promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  DownloadError,
  downloadVerified,
  errorMessage,
  hashFile,
  ownTemp,
  sweepDeadPartials,
} from '@attnzoo/download';
import { PresetError } from '../errors';
import {
  checkFileSize,
  checksumMismatch,
  MANIFEST_FILE,
  type ManifestEntry,
  type PresetManifest,
  parseManifest,
  sha256Hex,
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
import { boundedFetch, checkPresetUrl, presetUrlError } from '../url-policy';
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

/** The PresetError a failed download of one preset file ends in, in hub's words. */
function presetDownloadError(
  error: unknown,
  url: string,
  dest: string,
  name: string,
  entry: ManifestEntry,
): unknown {
  if (!(error instanceof DownloadError)) return error;
  // when every attempt failed, the last one says what to do
  const e = error.kind === 'failed' ? (error.failures?.at(-1) ?? error) : error;
  switch (e.kind) {
    case 'http':
      return httpError(url, e);
    case 'network':
      return new PresetError('download', `Cannot fetch ${url}: ${errorMessage(e.cause)}.`, { cause: e });
    case 'restart':
      return new PresetError('download', `${url} refused to resume the download: starting again.`, {
        cause: e,
      });
    case 'truncated':
      return new PresetError(
        'truncated',
        e.cause === undefined
          ? `The download of ${name} from ${url} ended after ${e.received} of ${entry.size} bytes; run again to resume it.`
          : `The download of ${name} from ${url} broke after ${e.received} of ${entry.size} bytes (${errorMessage(e.cause)}); ` +
              'run again to resume it.',
        { cause: e },
      );
    case 'too-large':
      return new PresetError(
        'checksum',
        `${url} ${e.announced ? `announces ${e.received} bytes for ${name}, more than the ${entry.size} bytes the manifest lists` : `sent more than the ${entry.size} bytes the manifest lists for ${name}`}: ` +
          'the file on the server changed; nothing was used.',
        { cause: e },
      );
    case 'write':
      return (
        writeError(
          e.cause,
          `Writing ${name} into the cache (${dirname(dest)})`,
          'the files already cached are unchanged',
        ) ??
        new PresetError('write', `Writing ${name} into the cache (${dirname(dest)}) failed: ${e.message}.`, {
          cause: e,
        })
      );
    case 'size':
      // throws the truncated or checksum PresetError a short or long file gets everywhere in hub
      checkFileSize(name, e.received ?? 0, entry, url);
      return e;
    case 'checksum':
      return checksumMismatch(name, url, String(e.actual), entry.sha256);
    default:
      return presetUrlError(e);
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
  try {
    await downloadVerified({
      urls: [url],
      dest,
      fetch: options.fetch ?? boundedFetch(),
      size: entry.size,
      sha256: entry.sha256,
      retries: options.retries ?? 2,
      isCallerError: (error) => error instanceof PresetError,
      onProgress: (p) =>
        options.progress?.({ file: name, loaded: p.received, total: entry.size, phase: 'download' }),
    });
  } catch (error) {
    throw presetDownloadError(error, url, dest, name, entry);
  }
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
