/**
 * Training-speed benchmark: steps/s of a small Transformer classifier trained by `train()` on random
 * tokens. Prints one JSON line. Usage (after `pnpm build`):
 *
 *   node dist/bench/steps.js [--backend wasm|cpu|webgpu] [--steps 30] [--warmup 5] [--batch 32]
 *                            [--seq 64] [--d 64] [--heads 4] [--blocks 2]
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, train, withSeededRandom } from '../index';
import { transformerClassifier } from './model';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

async function setBackend(name: string): Promise<string> {
  if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  else if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  else if (name === 'webgpu') {
    // Dawn's navigator.gpu must exist before the webgpu backend module is evaluated.
    const dawn = await import('webgpu');
    const g = globalThis as Record<string, unknown>;
    Object.assign(g, dawn.globals);
    if (!g.navigator || typeof g.navigator !== 'object') g.navigator = {};
    Object.defineProperty(g.navigator as object, 'gpu', { value: dawn.create([]), configurable: true });
    await import('@tensorflow/tfjs-backend-webgpu');
  } else throw new Error(`unknown backend '${name}': use cpu, wasm or webgpu`);
  if (!(await tf.setBackend(name))) throw new Error(`backend '${name}' failed to initialise`);
  await tf.ready();
  return tf.getBackend();
}

async function main(): Promise<void> {
  const backend = await setBackend(arg('backend', 'wasm'));
  const steps = Number(arg('steps', '30'));
  const warmup = Number(arg('warmup', '5'));
  const batch = Number(arg('batch', '32'));
  const seqLen = Number(arg('seq', '64'));
  const dModel = Number(arg('d', '64'));
  const heads = Number(arg('heads', '4'));
  const blocks = Number(arg('blocks', '2'));
  const vocab = 1000;
  const classes = 4;
  const model = withSeededRandom(new Rng(1), () =>
    transformerClassifier({ vocab, seqLen, dModel, heads, ffn: 4 * dModel, blocks, classes }),
  );
  const params = model.countParams();
  const total = steps + warmup;
  const source = ({ rng }: { rng: Rng }) =>
    (function* () {
      for (let s = 0; s < total; s++) {
        const tokens = Int32Array.from({ length: batch * seqLen }, () => rng.int(vocab));
        const labels = Int32Array.from({ length: batch }, () => rng.int(classes));
        yield { xs: tf.tensor2d(tokens, [batch, seqLen], 'int32'), ys: tf.tensor1d(labels, 'int32') };
      }
    })();
  let start = 0;
  let end = 0;
  await train({
    model,
    train: source,
    epochs: 1,
    lr: 1e-3,
    clipNorm: 1,
    validateLabels: false,
    callbacks: [
      {
        onBatchEnd: (l) => {
          if (l.step === warmup) start = performance.now();
          if (l.step === total) end = performance.now();
        },
      },
    ],
  });
  const seconds = (end - start) / 1000;
  const stepsPerSecond = steps / seconds;
  console.log(
    JSON.stringify({
      backend,
      stepsPerSecond: Number(stepsPerSecond.toFixed(3)),
      examplesPerSecond: Number((stepsPerSecond * batch).toFixed(1)),
      batch,
      seqLen,
      dModel,
      heads,
      blocks,
      params,
      timedSteps: steps,
      warmupSteps: warmup,
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
