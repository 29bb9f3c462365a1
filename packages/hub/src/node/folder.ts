// Loading a preset folder from disk, every file verified against its manifest.
import { existsSync, promises as fs } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { PresetError } from '../errors';
import { checkFileSize, MANIFEST_FILE, parseManifest } from '../manifest';
import { type LoadedPreset, loadPresetFiles } from '../preset';
import { MAX_MANIFEST_BYTES } from '../remote';

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
