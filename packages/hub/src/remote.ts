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

export type FetchLike = (
  url: string,
  init?: { headers?: Record<string, string>; signal?: AbortSignal },
) => Promise<Response>;

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

export function httpError(url: string, response: Response): PresetError {
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

/** Fetches a whole body, reporting progress. */
export async function fetchBytes(
  fetchFn: FetchLike,
  url: string,
  file: string,
  total: number,
  progress?: ProgressCallback,
): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetchFn(url);
  } catch (error) {
    throw new PresetError('download', `Cannot fetch ${url}: ${(error as Error).message}.`, { cause: error });
  }
  if (!response.ok) throw httpError(url, response);
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  try {
    if (!response.body) {
      const all = new Uint8Array(await response.arrayBuffer());
      progress?.({ file, loaded: all.byteLength, total, phase: 'download' });
      return all;
    }
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      progress?.({ file, loaded, total, phase: 'download' });
    }
  } catch (error) {
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
