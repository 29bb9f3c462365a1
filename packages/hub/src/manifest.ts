import { PresetError } from './errors';

/** The checksum manifest: sha256 and size of every file of a preset except itself. */
export interface ManifestEntry {
  sha256: string;
  size: number;
}

export interface PresetManifest {
  files: Record<string, ManifestEntry>;
}

export const MANIFEST_FILE = 'manifest.json';

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(text: string): Uint8Array {
  return textEncoder.encode(text);
}

export function readUtf8(bytes: Uint8Array, name: string): string {
  try {
    return textDecoder.decode(bytes);
  } catch (error) {
    throw new PresetError('invalid', `${name} is not valid UTF-8 text.`, { cause: error });
  }
}

export function parseJson<T>(bytes: Uint8Array, name: string): T {
  const text = readUtf8(bytes, name);
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new PresetError('invalid', `${name} is not valid JSON (${(error as Error).message}).`, {
      cause: error,
    });
  }
}

function toHex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Lower-case hex sha256 through Web Crypto (browsers and Node ≥ 20). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('Web Crypto (crypto.subtle) is not available: use a secure context (https).');
  return toHex(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/**
 * A path inside a preset folder: relative, forward slashes, no `.`/`..` segments, no drive
 * letters. Anything else could read or write outside the folder.
 */
export function checkPresetPath(name: string, where = 'the manifest'): void {
  const bad =
    typeof name !== 'string' ||
    name === '' ||
    name.startsWith('/') ||
    name.includes('\\') ||
    name.includes('\0') ||
    /^[a-zA-Z]:/.test(name) ||
    /^[a-z][a-z0-9+.-]*:/i.test(name) ||
    name.split('/').some((part) => part === '' || part === '.' || part === '..');
  if (bad) {
    throw new PresetError(
      'unsafe-path',
      `${where} names the file ${JSON.stringify(name)}, which points outside the preset folder: ` +
        'only relative paths inside the folder are allowed. The preset is damaged or malicious; do not use it.',
    );
  }
}

/** Parses and checks a manifest: every path inside the folder, every entry a sha256 and a size. */
export function parseManifest(bytes: Uint8Array, where: string): PresetManifest {
  const raw = parseJson<{ files?: unknown }>(bytes, `${MANIFEST_FILE} of ${where}`);
  const files = raw?.files;
  if (!files || typeof files !== 'object' || Array.isArray(files)) {
    throw new PresetError(
      'invalid',
      `${MANIFEST_FILE} of ${where} has no "files" object: it is not an attnzoo checksum manifest.`,
    );
  }
  const out: Record<string, ManifestEntry> = {};
  for (const [name, entry] of Object.entries(files as Record<string, unknown>)) {
    checkPresetPath(name, `${MANIFEST_FILE} of ${where}`);
    if (name === MANIFEST_FILE) {
      throw new PresetError('invalid', `${MANIFEST_FILE} of ${where} lists itself.`);
    }
    const e = entry as Partial<ManifestEntry> | null;
    if (
      !e ||
      typeof e.sha256 !== 'string' ||
      !/^[0-9a-f]{64}$/.test(e.sha256) ||
      typeof e.size !== 'number' ||
      !Number.isSafeInteger(e.size) ||
      e.size < 0
    ) {
      throw new PresetError(
        'invalid',
        `${MANIFEST_FILE} of ${where}: the entry for ${name} needs a lower-case hex "sha256" and a byte "size".`,
      );
    }
    out[name] = { sha256: e.sha256, size: e.size };
  }
  return { files: out };
}

export async function buildManifest(files: Record<string, Uint8Array>): Promise<PresetManifest> {
  const out: Record<string, ManifestEntry> = {};
  for (const name of Object.keys(files).sort()) {
    checkPresetPath(name, 'the file list');
    out[name] = { sha256: await sha256Hex(files[name]), size: files[name].byteLength };
  }
  return { files: out };
}

/** Throws unless a file of `size` bytes has the size the manifest lists (checked before a file is read). */
export function checkFileSize(name: string, size: number, entry: ManifestEntry, where: string): void {
  if (size < entry.size) {
    throw new PresetError(
      'truncated',
      `${name} in ${where} is truncated: ${size} bytes, the manifest says ${entry.size}. ` +
        'The download or copy was interrupted; fetch the preset again.',
    );
  }
  if (size !== entry.size) {
    throw new PresetError(
      'checksum',
      `${name} in ${where} has ${size} bytes but the manifest says ${entry.size}: ` +
        'the file was changed after the preset was saved; fetch or save the preset again.',
    );
  }
}

/** Throws unless `bytes` are exactly the file the manifest describes. */
export async function verifyFile(
  name: string,
  bytes: Uint8Array,
  entry: ManifestEntry,
  where: string,
): Promise<void> {
  checkFileSize(name, bytes.byteLength, entry, where);
  const actual = await sha256Hex(bytes);
  if (actual !== entry.sha256) throw checksumMismatch(name, where, actual, entry.sha256);
}

export function checksumMismatch(name: string, where: string, actual: string, expected: string): PresetError {
  return new PresetError(
    'checksum',
    `Checksum mismatch for ${name} in ${where}: sha256 ${actual}, the manifest says ${expected}. ` +
      'The file is corrupted or was modified; fetch or save the preset again.',
  );
}

/**
 * Verifies every file the manifest lists; `files` may hold more (they are ignored by the
 * loader, never used). Reports all missing files at once.
 */
export async function verifyFiles(
  manifest: PresetManifest,
  files: Record<string, Uint8Array>,
  where: string,
): Promise<void> {
  const missing = Object.keys(manifest.files).filter((name) => !(name in files));
  if (missing.length) {
    throw new PresetError(
      'missing-file',
      `${where} is missing ${missing.join(', ')} (listed in ${MANIFEST_FILE}): ` +
        'the preset is incomplete; copy or download it again.',
    );
  }
  for (const [name, entry] of Object.entries(manifest.files))
    await verifyFile(name, files[name], entry, where);
}
