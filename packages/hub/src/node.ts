// Node entry of @attnzoo/hub: everything browser-safe, plus presets on disk (node/save.ts,
// node/folder.ts), the download cache (node/download.ts), installed packages (node/packages.ts)
// and the Node fromPretrained that picks among them.
import { existsSync, promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PresetError } from './errors';
import { type DownloadPresetOptions, downloadPreset } from './node/download';
import { loadPresetDir } from './node/folder';
import { packagePresetDir } from './node/packages';
import type { LoadedPreset } from './preset';
import { getPreset, listPresets, type PresetEntry } from './registry';
import { isHttpUrl, presetBaseUrl } from './remote';

export * from './index';
export {
  cacheFolderFor,
  type DownloadPresetOptions,
  defaultCacheDir,
  downloadFile,
  downloadPreset,
} from './node/download';
export { loadPresetDir } from './node/folder';
export { findInstalledPackage, packagePresetDir } from './node/packages';
export {
  type PresetTask,
  type SaveOptions,
  type SaveResult,
  save,
  savePreset,
  writeFolderAtomic,
} from './node/save';

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
