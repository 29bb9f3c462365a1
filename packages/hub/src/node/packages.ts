// Installed model-release packages: where their preset folder is.
import { existsSync, promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PresetError } from '../errors';
import { checkPresetPath, parseJson } from '../manifest';
import { satisfiesVersion } from '../semver';

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
  // Also where the running program is installed: `attnzoo evaluate --from vit-mnist-super` run
  // from any folder finds the release packages the CLI itself depends on.
  const program = process.argv[1] ? [dirname(resolve(process.argv[1]))] : [];
  const from = [options.resolveFrom ?? process.cwd(), ...program];
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
