#!/usr/bin/env node
// After `pnpm install` in the workspace: sets up the optional native backend
// @tensorflow/tfjs-node (an optional dependency of @attnzoo/cli) and says in one line whether it
// is usable, and why not. Its own install script downloads libtensorflow from Google's storage
// and fails where that cannot be reached; pnpm would only print "failed (skipped as optional)",
// so the root package.json lists it under pnpm.ignoredBuiltDependencies and this runs the same
// script with its output kept, once per install until it succeeds. Nothing here can fail the
// install: every backend it does not set up is still chosen from at run time (webgpu, wasm, cpu).
// The reason is also written beside the package (INSTALL_ERROR_FILE), where @attnzoo/runtime reads
// it for its backend line: in a terminal, pnpm folds away what a successful root script printed.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const NAME = '@tensorflow/tfjs-node';
const GPU = '@tensorflow/tfjs-node-gpu';
/** Kept in sync with INSTALL_ERROR_FILE in packages/runtime/src/native-tensorflow.ts. */
const INSTALL_ERROR_FILE = 'attnzoo-install-error.txt';
const say = (line) => console.log(`attnzoo: ${line}`);

function packageDir(name) {
  try {
    const require = createRequire(join(ROOT, 'apps', 'cli', 'package.json'));
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

function hasAddon(dir) {
  const lib = join(dir, 'lib');
  if (!existsSync(lib)) return false;
  return readdirSync(lib).some((d) => existsSync(join(lib, d, 'tfjs_binding.node')));
}

/** The line of the install script's output that says what went wrong. */
export function failureReason(output) {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const error = lines.find(
    (l) => /^(\w*Error|error):/.test(l) || /\b(ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN)\b/.test(l),
  );
  const http = lines.find(
    (l) => /\b(403|404|500|502|503)\b/.test(l) && /status|http|forbidden|not found/i.test(l),
  );
  const line = (http ?? error ?? lines.at(-1) ?? 'no output').replace(/^Error:\s*/, '');
  return line.length > 140 ? `${line.slice(0, 137)}...` : line;
}

/**
 * tfjs-node's installer untars whatever the server answers, so a refused download (HTTP 403)
 * shows up as TAR_BAD_ARCHIVE: ask the URL it printed for its status instead.
 */
async function httpRefusal(output) {
  const url = output.match(/https?:\/\/\S+\.tar\.gz/)?.[0];
  if (!url) return undefined;
  try {
    const r = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(15_000) });
    return r.ok ? undefined : `HTTP ${r.status}${r.statusText ? ` ${r.statusText}` : ''} from ${url}`;
  } catch {
    return undefined;
  }
}

async function main() {
  if (existsSync('/proc/driver/nvidia/version') && !packageDir(GPU)) {
    say(
      `NVIDIA driver found: the GPU build ${GPU} (CUDA 11.2, cuDNN 8.1) is left out of this workspace by ` +
        'pnpm.overrides in package.json; remove that entry and install again to use it instead of the CPU build.',
    );
  }
  const dir = packageDir(NAME);
  if (!dir) return; // not installed (an optional dependency may be skipped): nothing to say
  if (hasAddon(dir)) return;
  if (process.env.ATTNZOO_SKIP_NATIVE_BACKEND === '1') {
    say(`optional backend ${NAME} not set up (ATTNZOO_SKIP_NATIVE_BACKEND=1); webgpu, wasm or cpu is used.`);
    return;
  }
  const run = spawnSync(process.execPath, ['scripts/install.js'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 15 * 60_000,
    env: { ...process.env, npm_config_loglevel: 'error' },
  });
  if (run.status === 0 && hasAddon(dir)) {
    rmSync(join(dir, INSTALL_ERROR_FILE), { force: true });
    say(`optional backend ${NAME}: libtensorflow installed; commands run on the 'tensorflow' backend.`);
    return;
  }
  const output = `${run.stdout ?? ''}\n${run.stderr ?? ''}`;
  const why = run.error ? run.error.message : ((await httpRefusal(output)) ?? failureReason(output));
  writeFileSync(join(dir, INSTALL_ERROR_FILE), `${why}\n`);
  say(
    `optional backend ${NAME} unavailable: libtensorflow could not be downloaded (${why}); ` +
      'commands use webgpu, wasm or cpu instead.',
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main().catch((error) => {
    say(`optional backend ${NAME} not checked (${error instanceof Error ? error.message : error}).`);
  });
}
