#!/usr/bin/env node
import { execFileSync } from 'node:child_process';
// Bundles the attnzoo CLI into one file for a machine without Node packages (the GPU
// machine): .device/app/attnzoo.mjs plus Dawn's native addon in .device/app/node_modules/webgpu.
// Usage: node scripts/bundle-for-device.mjs  (then carry .device, with the xz-compressed node binary)
import { cpSync, mkdirSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const out = join(root, '.device', 'app');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// The CLI: benchmarks, the quickstart and the releases (`attnzoo release train|finetune|...`).
const entryPoints = { attnzoo: join(root, 'apps/cli/src/bin.ts') };

await build({
  entryPoints,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: out,
  outExtension: { '.js': '.mjs' },
  conditions: ['@attnzoo/source'],
  // Native or optional: resolved at run time next to the bundle, or absent.
  external: ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
  // CommonJS globals that bundled dependencies read: tfjs-backend-wasm finds its .wasm files
  // through __dirname (copied beside the bundle below); without it wasm fails to initialise.
  banner: {
    js: [
      "import { createRequire as __cr } from 'node:module';",
      "import { dirname as __dn } from 'node:path';",
      "import { fileURLToPath as __fu } from 'node:url';",
      'const require = __cr(import.meta.url);',
      'const __filename = __fu(import.meta.url);',
      'const __dirname = __dn(__filename);',
    ].join(' '),
  },
  logLevel: 'warning',
});

// Dawn: only the JS entry and the linux-x64 addon travel.
const require = createRequire(join(root, 'apps/cli/package.json'));
const webgpuDir = dirname(realpathSync(require.resolve('webgpu/package.json')));
const target = join(out, 'node_modules', 'webgpu');
mkdirSync(join(target, 'dist', 'linux-x64'), { recursive: true });
for (const f of ['package.json', 'index.js']) cpSync(join(webgpuDir, f), join(target, f));
// xz-compressed (21 MB → 5 MB): the tree that travels is limited; unpack there with `xz -d`.
cpSync(join(webgpuDir, 'dist/linux-x64/dawn.node'), join(target, 'dist/linux-x64/dawn.node'));
execFileSync('xz', ['-T2', '-f', join(target, 'dist/linux-x64/dawn.node')]);
// The wasm backend's binaries, so the same bundle can compare against wasm there.
const wasmDir = dirname(realpathSync(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')));
for (const f of [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
]) {
  cpSync(join(wasmDir, 'dist', f), join(out, f));
}
// The quickstart's Fashion-MNIST subset: its loader reads ../data beside the file it is bundled into.
cpSync(join(root, 'packages', 'data-fashion-mnist-mini', 'data'), join(out, '..', 'data'), {
  recursive: true,
});
// The bundle too (about 4 MB → 0.4 MB): scripts/device/setup.sh unpacks every .xz there.
for (const f of readdirSync(out).filter((f) => f.endsWith('.mjs')))
  execFileSync('xz', ['-T2', '-f', join(out, f)]);
// The commit it was built from (git rev-parse: .git is a file in a worktree).
writeFileSync(
  join(out, 'BUILT_FROM'),
  `${execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()}\n`,
);
console.log(`bundled into ${out}`);
