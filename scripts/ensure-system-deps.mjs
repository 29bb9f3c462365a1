#!/usr/bin/env node
// The test suite runs real WGSL kernels on Mesa's software WebGPU adapter, and reads
// Fashion-MNIST from Debian's package, trains SentencePiece models with spm_train, and trains the
// PyTorch twin with Debian's torch. This checks for those system libraries before the
// tests start: on Debian as root it installs what is missing; elsewhere it says what to install.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PACKAGES = [
  { deb: 'libegl1', present: () => hasLib('libEGL.so.1') },
  { deb: 'libegl-mesa0', present: () => hasLib('libEGL_mesa.so.0') },
  { deb: 'libgles2', present: () => hasLib('libGLESv2.so.2') },
  { deb: 'dataset-fashion-mnist', present: () => existsSync('/usr/share/datasets/fashion-mnist') },
  {
    deb: 'sentencepiece',
    present: () => existsSync('/usr/bin/spm_train') && existsSync('/usr/bin/spm_encode'),
  },
  // The PyTorch twin round trip (apps/cli/src/twin-roundtrip.test.ts) trains in Debian's torch.
  { deb: 'python3-torch', present: () => pythonHas('torch') },
  { deb: 'python3-pil', present: () => pythonHas('PIL') },
  // The playground's browser test (apps/playground) drives Debian's Chromium with puppeteer-core.
  { deb: 'chromium', present: () => existsSync('/usr/bin/chromium') },
];

function pythonHas(module) {
  try {
    execFileSync('/usr/bin/python3', ['-c', `import ${module}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function hasLib(name) {
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }).includes(name);
  } catch {
    return false;
  }
}

const missing = PACKAGES.filter((p) => !p.present()).map((p) => p.deb);
if (missing.length === 0) process.exit(0);

const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
const why =
  "software WebGPU through Mesa, Fashion-MNIST, SentencePiece's spm_train/spm_encode, PyTorch and Pillow for the PyTorch twin, Chromium for the playground's browser test";
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (isRoot && hasApt) {
  console.error(`attnzoo tests: installing Debian packages ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
      stdio: 'inherit',
      env,
    });
  try {
    try {
      install();
    } catch {
      execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
      install();
    }
  } catch (e) {
    console.error(
      `attnzoo tests need the Debian packages ${missing.join(' ')} (${why}), and installing them failed ` +
        `(${e.message.split('\n')[0]}).\nInstall them with: apt-get update && ${command}`,
    );
    process.exit(1);
  }
  const still = PACKAGES.filter((p) => !p.present()).map((p) => p.deb);
  if (still.length > 0) {
    console.error(`attnzoo tests: ${still.join(' ')} still missing after apt-get install; run: ${command}`);
    process.exit(1);
  }
  process.exit(0);
}
console.error(
  `attnzoo tests need the Debian packages ${missing.join(' ')} (${why}).\n` +
    (hasApt
      ? `Install them with: sudo ${command}`
      : `On Debian or Ubuntu: sudo ${command}; elsewhere install Mesa's EGL and GLES libraries, Fashion-MNIST's IDX files in /usr/share/datasets/fashion-mnist and SentencePiece's spm_train/spm_encode in /usr/bin.`),
);
process.exit(1);
