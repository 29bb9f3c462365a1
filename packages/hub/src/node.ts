import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { errorMessage, PresetError } from './errors';
import {
  checkFileSize,
  checkPresetPath,
  MANIFEST_FILE,
  type ManifestEntry,
  type PresetManifest,
  parseJson,
  parseManifest,
  sha256Hex,
  verifyFile,
} from './manifest';
import { claimPartial, ownTemp, releasePartial, sweepDeadPartials } from './partial-files';
import { type LoadedPreset, loadPresetFiles, type PresetFilesOptions, presetFiles } from './preset';
import { getPreset, listPresets, type PresetEntry } from './registry';
import {
  checkManifestPin,
  checkPresetSize,
  DEFAULT_MAX_PRESET_BYTES,
  type FetchLike,
  fetchBytes,
  httpError,
  isHttpUrl,
  MAX_MANIFEST_BYTES,
  type ProgressCallback,
  presetBaseUrl,
  presetFileUrl,
} from './remote';
import { satisfiesVersion } from './semver';
import type { PresetMetadata } from './types';
import { boundedFetch, checkPresetUrl } from './url-policy';

export * from './index';

// ---------------------------------------------------------------------------------------------
// Saving

export interface SaveOptions extends PresetFilesOptions {
  /** Replace an existing preset folder (atomically). Default false: an existing folder is an error. */
  overwrite?: boolean;
}

export interface SaveResult {
  dir: string;
  /** Files written, relative to `dir`. */
  files: string[];
  /** Total bytes written. */
  bytes: number;
}

async function writeFileSynced(path: string, bytes: Uint8Array): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true });
  const handle = await fs.open(path, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const WRITE_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS']);

/** A disk-full or permission error, as a PresetError that says what failed, what is intact and the fix. */
function writeError(error: unknown, what: string, intact: string): PresetError | undefined {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (!code || !WRITE_ERRORS.has(code)) return undefined;
  const fix = code === 'ENOSPC' || code === 'EDQUOT' ? 'free disk space' : 'make the folder writable';
  return new PresetError(
    'write',
    `${what} failed (${errorMessage(error)}): ${intact}; ${fix}, or use another folder, and try again.`,
    {
      cause: error,
    },
  );
}

function tempSibling(dir: string, tag: string): string {
  return join(dirname(dir), `.${basename(dir)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Writes files into `dir` atomically: everything goes into a temporary sibling folder which is
 * renamed into place only when complete, so readers see the old folder or the new one, never a
 * half-written one. On failure the temporary folder is removed.
 */
export async function writeFolderAtomic(
  dir: string,
  files: Record<string, Uint8Array>,
  options: { overwrite?: boolean } = {},
): Promise<void> {
  const target = resolve(dir);
  for (const name of Object.keys(files)) checkPresetPath(name, 'the files to write');
  const exists = existsSync(target);
  if (exists && !options.overwrite) {
    throw new PresetError(
      'exists',
      `${target} already exists: pass { overwrite: true } to replace it, or choose another folder.`,
    );
  }
  await fs.mkdir(dirname(target), { recursive: true });
  const temp = tempSibling(target, 'tmp');
  try {
    await fs.mkdir(temp);
    for (const [name, bytes] of Object.entries(files))
      await writeFileSynced(join(temp, ...name.split('/')), bytes);
    if (existsSync(target)) {
      if (!options.overwrite) {
        throw new PresetError(
          'exists',
          `${target} appeared while saving: pass { overwrite: true } to replace it.`,
        );
      }
      const old = tempSibling(target, 'old');
      await fs.rename(target, old);
      try {
        await fs.rename(temp, target);
      } catch (error) {
        await fs.rename(old, target);
        throw error;
      }
      await fs.rm(old, { recursive: true, force: true });
    } else {
      await fs.rename(temp, target);
    }
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true }).catch(() => undefined);
    throw (
      writeError(
        error,
        `Saving the preset into ${target}`,
        exists ? 'the preset that was there is unchanged' : 'nothing was left behind',
      ) ?? error
    );
  }
}

/**
 * Saves a complete preset folder atomically: config.json, model.json + shards (float32, or
 * float16 with `{ float16: true }`), metadata.json, README.md model card, optional
 * tokenizer.model, and manifest.json with every file's sha256.
 */
export async function save(
  model: LayersModel,
  dir: string,
  metadata: PresetMetadata,
  options: SaveOptions = {},
): Promise<SaveResult> {
  if (existsSync(dir) && !options.overwrite) {
    throw new PresetError(
      'exists',
      `${resolve(dir)} already exists: pass { overwrite: true } to replace it, or choose another folder.`,
    );
  }
  const files = await presetFiles(model, metadata, options);
  await writeFolderAtomic(dir, files, { overwrite: options.overwrite });
  return {
    dir: resolve(dir),
    files: Object.keys(files).sort(),
    bytes: Object.values(files).reduce((n, b) => n + b.byteLength, 0),
  };
}

// ---------------------------------------------------------------------------------------------
// Loading a folder

async function isInside(root: string, path: string): Promise<boolean> {
  const [r, p] = await Promise.all([fs.realpath(root), fs.realpath(path)]);
  return p.startsWith(r.endsWith(sep) ? r : r + sep);
}

/**
 * Reads a preset folder: manifest.json first, then only the files it lists (each must stay
 * inside the folder, symlinks included), verifies all of them and builds the model.
 */
export async function loadPresetDir(dir: string, where = dir): Promise<LoadedPreset> {
  const root = resolve(dir);
  const stat = await fs.stat(root).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new PresetError('not-found', `${where} is not a folder: check the path.`);
  }
  const manifestPath = join(root, MANIFEST_FILE);
  if (!existsSync(manifestPath)) {
    throw new PresetError(
      'missing-file',
      `${where} has no ${MANIFEST_FILE}: it is not an attnzoo preset, or an incomplete copy. ` +
        'Write presets with save() and copy the whole folder.',
    );
  }
  const manifestSize = (await fs.stat(manifestPath)).size;
  if (manifestSize > MAX_MANIFEST_BYTES) {
    throw new PresetError(
      'too-large',
      `${MANIFEST_FILE} of ${where} has ${manifestSize} bytes, more than a manifest can hold (${MAX_MANIFEST_BYTES}): ` +
        'the folder is damaged or not a preset; copy or download it again.',
    );
  }
  const manifestBytes = new Uint8Array(await fs.readFile(manifestPath));
  const manifest = parseManifest(manifestBytes, where);
  const files: Record<string, Uint8Array> = { [MANIFEST_FILE]: manifestBytes };
  const missing: string[] = [];
  for (const name of Object.keys(manifest.files)) {
    const path = join(root, ...name.split('/'));
    if (!existsSync(path)) {
      missing.push(name);
      continue;
    }
    if (!(await isInside(root, path))) {
      throw new PresetError(
        'unsafe-path',
        `${name} in ${where} is a link to a file outside the preset folder: refusing to read it.`,
      );
    }
    // a file larger than the manifest says is refused before it is read into memory
    checkFileSize(name, (await fs.stat(path)).size, manifest.files[name], where);
    files[name] = new Uint8Array(await fs.readFile(path));
  }
  if (missing.length) {
    throw new PresetError(
      'missing-file',
      `${where} is missing ${missing.join(', ')} (listed in ${MANIFEST_FILE}): ` +
        'the preset is incomplete; copy or download it again.',
    );
  }
  return loadPresetFiles(files, where, { dir: root });
}

// ---------------------------------------------------------------------------------------------
// The disk cache and resumable downloads

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

async function fileSha256(path: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function fileMatches(path: string, entry: ManifestEntry): Promise<boolean> {
  const stat = await fs.stat(path).catch(() => undefined);
  if (!stat?.isFile() || stat.size !== entry.size) return false;
  return (await fileSha256(path)) === entry.sha256;
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

// ---------------------------------------------------------------------------------------------
// Installed model-release packages

/** The folder of an installed package, searched from each base folder upwards, then from the hub. */
export function findInstalledPackage(pkg: string, from: string[]): string | undefined {
  for (const start of from) {
    let dir = resolve(start);
    for (;;) {
      const candidate = join(dir, 'node_modules', ...pkg.split('/'), 'package.json');
      if (existsSync(candidate)) return dirname(candidate);
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  const here = fileURLToPath(import.meta.url);
  try {
    return dirname(createRequire(here).resolve(`${pkg}/package.json`));
  } catch {
    return undefined;
  }
}

interface PackageJson {
  name?: string;
  version?: string;
  attnzoo?: { preset?: string };
}

/** The preset folder of an installed model-release package (`attnzoo.preset` in package.json, default `preset/`). */
export async function packagePresetDir(
  pkg: string,
  options: { resolveFrom?: string; version?: string } = {},
): Promise<{ dir: string; version: string } | undefined> {
  const from = [options.resolveFrom ?? process.cwd()];
  const root = findInstalledPackage(pkg, from);
  if (!root) return undefined;
  const json = parseJson<PackageJson>(
    new Uint8Array(await fs.readFile(join(root, 'package.json'))),
    `${pkg}/package.json`,
  );
  const version = json.version ?? '0.0.0';
  if (options.version !== undefined && !satisfiesVersion(version, options.version)) {
    throw new PresetError(
      'version',
      `${pkg} ${version} is installed (${root}) but version ${options.version} was requested: ` +
        `run npm install ${pkg}@${options.version}, or drop the version option.`,
    );
  }
  const sub = json.attnzoo?.preset ?? 'preset';
  checkPresetPath(sub, `${pkg}/package.json (attnzoo.preset)`);
  return { dir: join(root, ...sub.split('/')), version };
}

// ---------------------------------------------------------------------------------------------
// fromPretrained

export interface NodeFromPretrainedOptions extends DownloadPresetOptions {
  /** URLs: fills `{revision}`. Packages: a version or range the installed one must satisfy. */
  revision?: string;
  /** Same as `revision`. */
  version?: string;
  /** Where installed model-release packages are looked up (default: process.cwd()). */
  resolveFrom?: string;
}

function looksLikePath(source: string): boolean {
  return isAbsolute(source) || /^\.{1,2}([\\/]|$)/.test(source) || /^~[\\/]/.test(source);
}

const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

async function fromUrl(url: string, options: NodeFromPretrainedOptions, pin?: string): Promise<LoadedPreset> {
  const base = presetBaseUrl(url, options.revision ?? options.version);
  const folder = await downloadPreset(base, { ...options, manifestSha256: options.manifestSha256 ?? pin });
  return loadPresetDir(folder, base);
}

async function fromPackage(
  pkg: string,
  options: NodeFromPretrainedOptions,
): Promise<LoadedPreset | undefined> {
  const found = await packagePresetDir(pkg, {
    resolveFrom: options.resolveFrom,
    version: options.version ?? options.revision,
  });
  if (!found) return undefined;
  return loadPresetDir(found.dir, `${pkg}@${found.version}`);
}

/**
 * Loads a preset from a preset name (registered by a model package: its installed package
 * first, then its URL), a local folder, a file:// URL, an http(s) URL (cached on disk,
 * resumable, verified), or an installed model-release package name. Nothing is used before
 * the manifest and every file it lists have been verified.
 */
export async function fromPretrained(
  source: string,
  options: NodeFromPretrainedOptions = {},
): Promise<LoadedPreset> {
  if (isHttpUrl(source)) return fromUrl(source, options);
  if (/^file:/i.test(source)) return loadPresetDir(fileURLToPath(source), source);
  if (looksLikePath(source)) {
    const path = source.startsWith('~') ? join(homedir(), source.slice(2)) : source;
    return loadPresetDir(path, source);
  }
  const entry: PresetEntry | undefined = getPreset(source);
  if (entry) {
    if (entry.package) {
      const loaded = await fromPackage(entry.package, options);
      if (loaded) return loaded;
    }
    if (entry.url) return fromUrl(entry.url, options, entry.manifestSha256);
    throw new PresetError(
      'not-found',
      `Preset ${source} lives in the package ${entry.package}, which is not installed: npm install ${entry.package}.`,
    );
  }
  if (existsSync(source) && (await fs.stat(source)).isDirectory()) return loadPresetDir(source, source);
  if (PACKAGE_NAME.test(source)) {
    const loaded = await fromPackage(source, options);
    if (loaded) return loaded;
  }
  const known = listPresets().map((e) => e.name);
  throw new PresetError(
    'not-found',
    `Cannot find the preset ${JSON.stringify(source)}: it is not a folder, not a registered preset name` +
      (known.length
        ? ` (registered: ${known.join(', ')})`
        : ' (none registered: import the model package first)') +
      ', and not an installed package. Pass a folder, a file:// or https:// URL, or install the model package.',
  );
}
