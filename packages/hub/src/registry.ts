import { checkPresetUrl } from './url-policy';

/** Where a named preset lives: a model-release npm package, a URL, or both (package first). */
export interface PresetEntry {
  name: string;
  /** npm package holding the preset files, e.g. `@attnzoo/model-vit-mnist-super`. */
  package?: string;
  /** Base URL of the preset folder; `{revision}` is replaced by the requested revision. */
  url?: string;
  task?: string;
  description?: string;
  /** Pins the manifest: its sha256 (hex) must match before any file is trusted. */
  manifestSha256?: string;
}

// One registry per process, kept on globalThis: the package's entry points (`@attnzoo/hub`,
// `@attnzoo/hub/node`) are bundled separately, in ESM and CommonJS, and a module-level Map would
// give each copy its own, so a name registered through one would be unknown to the other.
const REGISTRY_KEY = Symbol.for('@attnzoo/hub/preset-registry');
const registry: Map<string, PresetEntry> =
  ((globalThis as Record<symbol, unknown>)[REGISTRY_KEY] as Map<string, PresetEntry> | undefined) ??
  new Map<string, PresetEntry>();
(globalThis as Record<symbol, unknown>)[REGISTRY_KEY] = registry;

function same(a: PresetEntry, b: PresetEntry): boolean {
  return JSON.stringify(a, Object.keys(a).sort()) === JSON.stringify(b, Object.keys(b).sort());
}

/** Model packages call this to make their presets loadable by name. */
export function registerPreset(entry: PresetEntry): void {
  if (!entry.name || !/^[a-z0-9][a-z0-9._-]*$/i.test(entry.name)) {
    throw new Error(
      `Preset name ${JSON.stringify(entry.name)} is not valid: use letters, digits, '.', '_', '-'.`,
    );
  }
  if (!entry.package && !entry.url) {
    throw new Error(`Preset ${entry.name} needs a package or a url to load from.`);
  }
  if (entry.url)
    checkPresetUrl(entry.url.replaceAll('{revision}', 'main'), `The URL of preset ${entry.name}`, true);
  const existing = registry.get(entry.name);
  if (existing && !same(existing, entry)) {
    throw new Error(
      `Preset ${entry.name} is already registered (${existing.package ?? existing.url}): pick another name.`,
    );
  }
  registry.set(entry.name, { ...entry });
}

export function getPreset(name: string): PresetEntry | undefined {
  const entry = registry.get(name);
  return entry ? { ...entry } : undefined;
}

export function listPresets(): PresetEntry[] {
  return [...registry.values()].map((e) => ({ ...e })).sort((a, b) => a.name.localeCompare(b.name));
}

/** Removes a registration (tests, or a package replacing its own entry). */
export function unregisterPreset(name: string): boolean {
  return registry.delete(name);
}
