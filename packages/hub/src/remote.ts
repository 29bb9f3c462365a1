import type { FetchLike } from '@attnzoo/download/browser';
import { PresetError } from './errors';
import {
  checkPresetPath,
  MANIFEST_FILE,
  type ManifestEntry,
  type PresetManifest,
  parseManifest,
  sha256Hex,
  verifyFile,
} from './manifest';
import { checkPresetUrl } from './url-policy';

export interface ProgressEvent {
  /** File name inside the preset. */
  file: string;
  /** Bytes of this file available so far. */
  loaded: number;
  /** Its size (from the manifest; 0 while the manifest itself is fetched). */
  total: number;
  /** `download`: bytes arriving; `cached`: already present and verified; `verified`: downloaded and checked. */
  phase: 'download' | 'cached' | 'verified';
}

export type ProgressCallback = (event: ProgressEvent) => void;

export type { FetchLike };

/** A URL preset folder with `{revision}` filled in; always ends with '/'. */
export function presetBaseUrl(url: string, revision?: string): string {
  let base = url;
  if (base.includes('{revision}')) {
    base = base.replaceAll('{revision}', encodeURIComponent(revision ?? 'main'));
  } else if (revision !== undefined) {
    throw new PresetError(
      'version',
      `A revision (${revision}) was requested but the URL ${url} has no {revision} placeholder: ` +
        'put the revision into the URL yourself, or use a URL with {revision}.',
    );
  }
  return base.endsWith('/') ? base : `${base}/`;
}

export function presetFileUrl(base: string, name: string): string {
  checkPresetPath(name);
  return new URL(name.split('/').map(encodeURIComponent).join('/'), base).href;
}

export function isHttpUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

export function httpError(url: string, response: { status?: number; statusText?: string }): PresetError {
  if (response.status === 404) {
    return new PresetError(
      'not-found',
      `${url} answered 404 Not Found: check the preset URL, name and revision.`,
    );
  }
  return new PresetError(
    'download',
    `${url} answered ${response.status} ${response.statusText}: try again later, or use the offline option with a cached copy.`,
  );
}

/** The largest manifest.json accepted: a real one lists a few dozen files in a few kilobytes. */
export const MAX_MANIFEST_BYTES = 1 << 20;

/** The largest preset fetched, all files together, unless `maxBytes` says otherwise. */
export const DEFAULT_MAX_PRESET_BYTES = 4 * 2 ** 30;

/**
 * Fetches a whole body, reporting progress. `total` is the size the manifest lists (0 for the
 * manifest itself, which may then be at most MAX_MANIFEST_BYTES): a server that announces or
 * sends more is cut off at once, so a hostile server cannot fill memory.
 */
export async function fetchBytes(
  fetchFn: FetchLike,
  url: string,
  file: string,
  total: number,
  progress?: ProgressCallback,
): Promise<Uint8Array> {
  const limit = total > 0 ? total : MAX_MANIFEST_BYTES;
  const tooMuch = (n: number | string) =>
    new PresetError(
      'too-large',
      `${url} ${typeof n === 'string' ? `announces ${n} bytes` : `sent more than ${limit} bytes`} for ${file}, ` +
        `${total > 0 ? `the manifest lists ${total}` : `more than a ${MANIFEST_FILE} can hold`}: the server is not serving this preset; nothing was used.`,
    );
  let response: Response;
  try {
    response = await fetchFn(url);
  } catch (error) {
    if (error instanceof PresetError) throw error;
    throw new PresetError('download', `Cannot fetch ${url}: ${(error as Error).message}.`, { cause: error });
  }
  // browsers follow redirects themselves: the address the bytes finally came from must pass the policy too
  if (response.url) checkPresetUrl(response.url, `${url} redirected to ${response.url}, which`);
  if (!response.ok) throw httpError(url, response);
  const announced = response.headers?.get('content-length');
  if (announced && Number(announced) > limit) {
    await response.body?.cancel();
    throw tooMuch(announced);
  }
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  try {
    if (!response.body) {
      const all = new Uint8Array(await response.arrayBuffer());
      if (all.byteLength > limit) throw tooMuch(all.byteLength);
      progress?.({ file, loaded: all.byteLength, total, phase: 'download' });
      return all;
    }
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (loaded + value.byteLength > limit) {
        await reader.cancel();
        throw tooMuch(loaded + value.byteLength);
      }
      chunks.push(value);
      loaded += value.byteLength;
      progress?.({ file, loaded, total, phase: 'download' });
    }
  } catch (error) {
    if (error instanceof PresetError) throw error;
    throw new PresetError(
      'truncated',
      `The connection for ${url} broke after ${loaded} bytes (${(error as Error).message}): try again.`,
      { cause: error },
    );
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Refuses a manifest whose files add up to more than `maxBytes`, before any of them is fetched. */
export function checkPresetSize(manifest: PresetManifest, maxBytes: number, where: string): void {
  const total = Object.values(manifest.files).reduce((n, e) => n + e.size, 0);
  if (total > maxBytes) {
    throw new PresetError(
      'too-large',
      `${where} lists ${(total / 2 ** 20).toFixed(1)} MiB of files, over the ${(maxBytes / 2 ** 20).toFixed(1)} MiB limit: ` +
        'the manifest is corrupt or hostile; if the preset is genuinely that large, raise the maxBytes option.',
    );
  }
}

export async function checkManifestPin(
  bytes: Uint8Array,
  pin: string | undefined,
  url: string,
): Promise<void> {
  if (!pin) return;
  const actual = await sha256Hex(bytes);
  if (actual !== pin.toLowerCase()) {
    throw new PresetError(
      'checksum',
      `Checksum mismatch for ${MANIFEST_FILE} at ${url}: sha256 ${actual}, expected ${pin}. ` +
        'The preset changed or the download was tampered with; nothing was loaded.',
    );
  }
}

/** Where verified bytes are kept between loads in the browser. */
export interface ByteStore {
  get(url: string): Promise<Uint8Array | undefined>;
  put(url: string, bytes: Uint8Array): Promise<void>;
}

const memory = new Map<string, Uint8Array>();

export const memoryStore: ByteStore = {
  async get(url) {
    return memory.get(url);
  },
  async put(url, bytes) {
    memory.set(url, bytes);
  },
};

/** The Cache API (browsers, service workers), under the cache name `attnzoo-presets`. */
export function cacheApiStore(name = 'attnzoo-presets'): ByteStore | undefined {
  const caches = (globalThis as { caches?: CacheStorage }).caches;
  if (!caches) return undefined;
  return {
    async get(url) {
      const hit = await (await caches.open(name)).match(url);
      return hit ? new Uint8Array(await hit.arrayBuffer()) : undefined;
    },
    async put(url, bytes) {
      await (await caches.open(name)).put(url, new Response(bytes as Uint8Array<ArrayBuffer>));
    },
  };
}

export interface FetchPresetOptions {
  fetch?: FetchLike;
  progress?: ProgressCallback;
  /** Never touch the network: use cached, verified files or fail listing what is missing. */
  offline?: boolean;
  /** `cache-api` (default where available), `memory` or `none`. */
  cache?: 'cache-api' | 'memory' | 'none';
  manifestSha256?: string;
  /** The most bytes the preset's files may add up to (default DEFAULT_MAX_PRESET_BYTES, 4 GiB). */
  maxBytes?: number;
}

async function verified(
  name: string,
  bytes: Uint8Array,
  entry: ManifestEntry,
  where: string,
): Promise<boolean> {
  try {
    await verifyFile(name, bytes, entry, where);
    return true;
  } catch {
    return false;
  }
}

/**
 * Fetches every file of a URL preset into memory (browser-safe): the manifest first, then
 * each file, each verified against it before it is kept or cached.
 */
export async function fetchPresetFiles(
  base: string,
  options: FetchPresetOptions = {},
): Promise<Record<string, Uint8Array>> {
  checkPresetUrl(base);
  const fetchFn: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const store =
    options.cache === 'none'
      ? undefined
      : options.cache === 'memory'
        ? memoryStore
        : (cacheApiStore() ?? memoryStore);
  const manifestUrl = presetFileUrl(base, MANIFEST_FILE);
  let manifestBytes = await store?.get(manifestUrl);
  if (!manifestBytes) {
    if (options.offline) {
      throw new PresetError(
        'offline',
        `Offline and ${base} is not cached (missing ${MANIFEST_FILE}): load it once online first.`,
      );
    }
    manifestBytes = await fetchBytes(fetchFn, manifestUrl, MANIFEST_FILE, 0, options.progress);
  }
  await checkManifestPin(manifestBytes, options.manifestSha256, manifestUrl);
  const manifest: PresetManifest = parseManifest(manifestBytes, base);
  checkPresetSize(manifest, options.maxBytes ?? DEFAULT_MAX_PRESET_BYTES, base);
  const files: Record<string, Uint8Array> = { [MANIFEST_FILE]: manifestBytes };
  const missing: string[] = [];
  for (const [name, entry] of Object.entries(manifest.files)) {
    const url = presetFileUrl(base, name);
    const cached = await store?.get(url);
    if (cached && (await verified(name, cached, entry, base))) {
      files[name] = cached;
      options.progress?.({ file: name, loaded: entry.size, total: entry.size, phase: 'cached' });
      continue;
    }
    if (options.offline) {
      missing.push(name);
      continue;
    }
    const bytes = await fetchBytes(fetchFn, url, name, entry.size, options.progress);
    await verifyFile(name, bytes, entry, base);
    options.progress?.({ file: name, loaded: entry.size, total: entry.size, phase: 'verified' });
    files[name] = bytes;
    await store?.put(url, bytes);
  }
  if (missing.length) {
    throw new PresetError(
      'offline',
      `Offline and ${base} is only partly cached: missing ${missing.join(', ')}. Load it once online first.`,
    );
  }
  await store?.put(manifestUrl, manifestBytes);
  return files;
}
