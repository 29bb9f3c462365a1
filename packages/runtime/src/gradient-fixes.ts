import type * as tfCore from '@tensorflow/tfjs-core';

const patched = new WeakSet<object>();

/**
 * Replaces three tfjs-core 4.22 gradients that cost far more kernel launches or uploads than the
 * math needs (on WebGPU each launch costs ~0.3 ms of CPU, and every upload a fresh staging buffer):
 *
 * - Sum and Mean multiply dy by `ones(x.shape)`, a tensor filled on the
 * CPU and uploaded every backward pass. For a layer norm over a [256, 50, 64] activation that is
 * 3.3 MB per reduction; on WebGPU each upload creates a fresh mapped staging buffer, and a ViT
 * training step spent most of its second there (CPU profile on an H200). Broadcasting dy on the
 *   device (a Tile kernel) gives the same values with no upload.
 * - Tile adds one slice of dy per repetition: 2 × 512 kernels per step for a ViT's class token
 *   tiled over a batch of 512 (kernel profile on an H200). Reshaping dy to [reps, size] per tiled
 *   axis and summing over reps is one reduction per axis.
 */
export function patchGradients(tf: typeof tfCore): void {
  if (patched.has(tf)) return;
  patched.add(tf);
  const expand = (dy: tfCore.Tensor, x: tfCore.Tensor, axis: number | number[]) => {
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const kept = x.shape.slice();
    for (const a of axes) kept[a] = 1;
    return {
      grad: tf.broadcastTo(tf.reshape(dy, kept), x.shape),
      size: axes.reduce((n, a) => n * x.shape[a], 1),
    };
  };
  tf.registerGradient({
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      return { x: () => tf.cast(expand(dy as tfCore.Tensor, x, attrs.axis as number[]).grad, 'float32') };
    },
  });
  tf.registerGradient({
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const { grad, size } = expand(dy as tfCore.Tensor, x, attrs.axis as number[]);
      return { x: () => tf.div(grad, size) };
    },
  });
  tf.registerGradient({
    kernelName: 'Tile',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const reps = attrs.reps as number[];
      return {
        x: () => {
          let g = dy as tfCore.Tensor;
          reps.forEach((r, axis) => {
            if (r === 1) return;
            // element j of repetition k sits at k * size + j along this axis
            const shape = g.shape.slice();
            shape.splice(axis, 1, r, x.shape[axis]);
            g = tf.sum(tf.reshape(g, shape), axis);
          });
          return g;
        },
      };
    },
  });
}
