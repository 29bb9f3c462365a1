#!/usr/bin/env node
// pnpm release [--registry URL] [--tag TAG] [--dry-run] [--no-version] [--no-build] [--only DIR,...]
// pnpm publint   (= --only-lint: pack, publint and @arethetypeswrong/cli every package, publish nothing)
//
// Versions (changeset version, when changesets are pending), builds (turbo), checks (publint on
// every packed tarball) and publishes every public workspace package: the libraries in
// packages/*, the apps in apps/* and the model-release packages in models/*. Each package is
// packed with `pnpm pack` (which turns `workspace:*` into real versions and applies
// publishConfig, e.g. the exports without the @attnzoo/source condition) and the tarball is
// published with `npm publish`. Versions already on the registry are skipped, so a failed
// release can be run again.
//
// The registry comes from --registry, else from the npm config (`npm config get registry`, which
// honours .npmrc and NPM_CONFIG_REGISTRY). The registry test (packages/release-test) imports
// `publishWorkspace` from here to publish to a local verdaccio.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM = ['-y', 'pnpm@10.34.8'];
const GROUPS = ['packages', 'apps', 'models'];

function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    stdio: opts.quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The npm config's registry (with a trailing slash), as npm itself would use it. */
export function configuredRegistry(env = process.env) {
  const r = run('npm', ['config', 'get', 'registry'], { env, quiet: true }).trim();
  return r.endsWith('/') ? r : `${r}/`;
}

/**
 * Public workspace packages in publish order (dependencies first): `{ dir, name, version }`.
 * `groups` picks the top folders (default all three); private packages are left out.
 */
export function publishablePackages(groups = GROUPS) {
  const found = [];
  for (const group of groups) {
    const base = join(ROOT, group);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base).sort()) {
      const file = join(base, entry, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      if (pkg.private || !pkg.name || !pkg.version) continue;
      found.push({ dir: join(base, entry), name: pkg.name, version: pkg.version, pkg });
    }
  }
  // Topological order over dependencies and peers, so that an install of any published
  // package never meets a missing sibling version.
  const byName = new Map(found.map((p) => [p.name, p]));
  const ordered = [];
  const seen = new Set();
  const visit = (p) => {
    if (seen.has(p.name)) return;
    seen.add(p.name);
    const deps = { ...p.pkg.dependencies, ...p.pkg.peerDependencies, ...p.pkg.optionalDependencies };
    for (const d of Object.keys(deps)) if (byName.has(d)) visit(byName.get(d));
    ordered.push(p);
  };
  for (const p of found) visit(p);
  return ordered.map(({ dir, name, version }) => ({ dir, name, version }));
}

/** `pnpm pack` into `dest`; returns the tarball path and its packed and unpacked sizes. */
export function packPackage(dir, dest) {
  const out = run('npx', [...PNPM, 'pack', '--json', '--pack-destination', dest], { cwd: dir, quiet: true });
  const info = JSON.parse(out.slice(out.indexOf('{')));
  const tarball = resolve(dest, info.filename);
  const unpacked = (info.files ?? []).reduce((n, f) => n + fileSize(join(dir, f.path)), 0);
  return { tarball, packedBytes: statSync(tarball).size, unpackedBytes: unpacked, files: info.files?.length };
}

function fileSize(path) {
  return existsSync(path) ? statSync(path).size : 0;
}

/** publint on a packed tarball: the messages of type `error` (warnings and suggestions are printed). */
export async function lintTarball(tarball, log = console.log) {
  let publint;
  let formatMessage;
  try {
    const from = pathToFileURL(join(ROOT, 'packages', 'release-test', 'package.json'));
    const { createRequire } = await import('node:module');
    const req = createRequire(from);
    ({ publint } = await import(pathToFileURL(req.resolve('publint')).href));
    ({ formatMessage } = await import(pathToFileURL(req.resolve('publint/utils')).href));
  } catch {
    log('publint is not installed (packages/release-test devDependencies): skipping the check');
    return [];
  }
  const bytes = readFileSync(tarball);
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const { messages, pkg } = await publint({ pack: { tarball: buf }, level: 'warning', strict: false });
  for (const m of messages) log(`  publint ${m.type}: ${formatMessage(m, pkg) ?? m.code}`);
  return messages.filter((m) => m.type === 'error');
}

/**
 * @arethetypeswrong/cli on a packed tarball with the node16 profile (ESM and CommonJS under
 * node16/nodenext, and bundlers; node10 is out: every package needs Node 20). Packages without
 * type declarations (model releases) are skipped. Returns the problem report, or '' when clean.
 */
export function checkTypes(tarball, dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (!pkg.types && !pkg.exports) return '';
  const attw = join(ROOT, 'packages', 'release-test', 'node_modules', '.bin', 'attw');
  if (!existsSync(attw)) return '';
  try {
    run(attw, [tarball, '--profile', 'node16', '--format', 'ascii', '--no-emoji', '--no-color'], {
      quiet: true,
    });
    return '';
  } catch (error) {
    return `${error.stdout ?? ''}${error.stderr ?? ''}`.trim() || error.message;
  }
}

/** Whether `name@version` is already on the registry. */
export function isPublished(name, version, registry, env = process.env) {
  try {
    const out = run('npm', ['view', `${name}@${version}`, 'version', '--registry', registry], {
      env,
      quiet: true,
    });
    return out.trim() !== '';
  } catch {
    return false;
  }
}

/**
 * Packs, lints and publishes every public workspace package (or those of `only`, folders
 * relative to the root) to `registry`. Returns one row per package with its packed size.
 */
export async function publishWorkspace({
  registry,
  groups = GROUPS,
  only,
  tag,
  dryRun = false,
  lintOnly = false,
  env = process.env,
  log = console.log,
}) {
  const dest = mkdtempSync(join(tmpdir(), 'attnzoo-release-'));
  const rows = [];
  try {
    let packages = publishablePackages(groups);
    if (only) {
      const wanted = new Set(only.map((d) => resolve(ROOT, d)));
      packages = packages.filter((p) => wanted.has(p.dir));
    }
    for (const p of packages) {
      const where = relative(ROOT, p.dir);
      if (!dryRun && !lintOnly && isPublished(p.name, p.version, registry, env)) {
        log(`${p.name}@${p.version} (${where}) is already on ${registry}: skipped`);
        rows.push({ ...p, skipped: true });
        continue;
      }
      const packed = packPackage(p.dir, dest);
      const errors = await lintTarball(packed.tarball, log);
      if (errors.length) throw new Error(`${p.name}: publint found ${errors.length} error(s), not published`);
      const types = checkTypes(packed.tarball, p.dir);
      if (types) throw new Error(`${p.name}: @arethetypeswrong/cli found problems, not published:\n${types}`);
      if (lintOnly) {
        log(`${p.name}@${p.version}: publint and types clean, ${kib(packed.packedBytes)} packed`);
        rows.push({ ...p, ...packed, skipped: false });
        continue;
      }
      const args = ['publish', packed.tarball, '--registry', registry, '--access', 'public'];
      if (tag) args.push('--tag', tag);
      if (dryRun) args.push('--dry-run');
      run('npm', args, { env, quiet: true });
      log(
        `${dryRun ? 'would publish' : 'published'} ${p.name}@${p.version}: ${kib(packed.packedBytes)} packed, ` +
          `${kib(packed.unpackedBytes)} unpacked, ${packed.files} files`,
      );
      rows.push({ ...p, ...packed, skipped: false });
    }
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
  return rows;
}

function kib(n) {
  return `${(n / 1024).toFixed(1)} KiB`;
}

function pendingChangesets() {
  const dir = join(ROOT, '.changeset');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md') : [];
}

async function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      registry: { type: 'string' },
      tag: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'no-version': { type: 'boolean' },
      'no-build': { type: 'boolean' },
      'only-lint': { type: 'boolean' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'pnpm release [--registry URL] [--tag TAG] [--dry-run] [--no-version] [--no-build] [--only-lint] [--only packages/vit,models/x]',
    );
    return;
  }
  const lintOnly = values['only-lint'];
  const registry = values.registry ?? configuredRegistry();
  console.log(`release: registry ${registry}`);
  if (!values['no-version'] && !lintOnly) {
    const pending = pendingChangesets();
    if (pending.length) {
      console.log(`release: changeset version (${pending.length} pending changeset(s))`);
      run('npx', [...PNPM, 'exec', 'changeset', 'version'], { quiet: false });
      run('npx', [...PNPM, 'install', '--lockfile-only'], { quiet: false });
    } else {
      console.log('release: no pending changesets, versions unchanged');
    }
  }
  if (!values['no-build'] && !lintOnly) {
    console.log('release: build');
    run('npx', [...PNPM, 'run', 'build'], { quiet: false });
  }
  const rows = await publishWorkspace({
    registry,
    tag: values.tag,
    dryRun: values['dry-run'],
    lintOnly: values['only-lint'],
    only: values.only?.split(','),
  });
  const published = rows.filter((r) => !r.skipped);
  console.log(
    `release: ${published.length} package(s) ${values['dry-run'] || lintOnly ? 'checked' : 'published'}`,
  );
  for (const r of published) console.log(`  ${r.name}@${r.version}\t${kib(r.packedBytes)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(`release: ${error.message}`);
    process.exit(1);
  });
}
