/** The two builds of TensorFlow's native backend for Node; both register the backend 'tensorflow'. */
export const TFJS_NODE = '@tensorflow/tfjs-node';
export const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';

export interface NativeTensorflowOptions {
  /**
   * Whether CUDA can be used, so that the GPU build is worth trying. Default: an NVIDIA driver is
   * loaded (`/proc/driver/nvidia/version` on Linux, `CUDA_PATH` on Windows).
   */
  cuda?: boolean;
  /**
   * The folder of an installed package, or undefined when it is not installed. With it, a build
   * whose native addon is missing (its libtensorflow download failed at install) is reported
   * without being imported: tfjs-node registers its kernels before it loads the addon, so a
   * failed import leaves them registered and a second build would register them again.
   */
  packageDir?: (name: string) => string | undefined;
}

const isNode = () => typeof process !== 'undefined' && Boolean(process.versions?.node);

/** Imports Node's built-in modules only when called (this package also runs in browsers). */
const nodeModule = <T>(name: string): Promise<T> => import(/* @vite-ignore */ name) as Promise<T>;

/** Whether an NVIDIA driver is loaded (Linux) or the CUDA toolkit is installed (Windows). */
export async function cudaPresent(): Promise<boolean> {
  if (!isNode()) return false;
  if (process.platform === 'win32') return Boolean(process.env.CUDA_PATH);
  if (process.platform !== 'linux') return false;
  const fs = await nodeModule<typeof import('node:fs')>('node:fs');
  return fs.existsSync('/proc/driver/nvidia/version');
}

/** Why an installed tfjs-node build cannot load, from its files; undefined when it looks complete. */
export async function nativeAddonProblem(
  name: string,
  packageDir: (name: string) => string | undefined,
): Promise<string | undefined> {
  const dir = packageDir(name);
  if (dir === undefined) return 'is not installed';
  const fs = await nodeModule<typeof import('node:fs')>('node:fs');
  const path = await nodeModule<typeof import('node:path')>('node:path');
  const lib = path.join(dir, 'lib');
  const builds = fs.existsSync(lib) ? fs.readdirSync(lib).filter((d) => d.startsWith('napi-v')) : [];
  const hasAddon = builds.some((d) => fs.existsSync(path.join(lib, d, 'tfjs_binding.node')));
  if (hasAddon) return undefined;
  const recorded = path.join(dir, INSTALL_ERROR_FILE);
  const why = fs.existsSync(recorded) ? fs.readFileSync(recorded, 'utf8').trim() : '';
  return why ? `${ADDON_MISSING.slice(0, -1)}: ${why})` : ADDON_MISSING;
}

export const ADDON_MISSING =
  'is installed but its native addon is missing (its libtensorflow download failed at install)';

/**
 * Where the workspace's postinstall (scripts/postinstall.mjs) records, beside the package, why
 * its libtensorflow download failed: the backend line repeats it.
 */
export const INSTALL_ERROR_FILE = 'attnzoo-install-error.txt';

/** Which builds to try, best first: the GPU build only where CUDA is present. */
export async function nativeCandidates(options: NativeTensorflowOptions): Promise<string[]> {
  const cuda = options.cuda ?? (await cudaPresent());
  return cuda ? [TFJS_NODE_GPU, TFJS_NODE] : [TFJS_NODE];
}

const KERNEL_AGAIN = /^The kernel '[^']+' for backend '[^']+' is already registered$/;

/**
 * Runs `work` with tfjs's "kernel ... is already registered" warnings left out (a tfjs-node build
 * that fails to load after registering its kernels, then another that registers them again).
 * Every other warning passes.
 */
export async function withoutKernelReRegistrationWarnings<T>(work: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (args.length === 1 && typeof args[0] === 'string' && KERNEL_AGAIN.test(args[0])) return;
    warn.apply(console, args);
  };
  try {
    return await work();
  } finally {
    console.warn = warn;
  }
}
