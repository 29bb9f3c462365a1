import type * as tfCore from '@tensorflow/tfjs-core';

const patched = new WeakSet<object>();

/**
 * tfjs-core 4.22's gradients of Sum and Mean multiply dy by `ones(x.shape)`, a tensor filled on the
 * CPU and uploaded every backward pass. For a layer norm over a [256, 50, 64] activation that is
 * 3.3 MB per reduction; on WebGPU each upload creates a fresh mapped staging buffer, and a ViT
 * training step spent most of its second there (CPU profile on an H200). Broadcasting dy on the
 * device (a Tile kernel) gives the same values with no upload.
 */
export function patchReductionGradients(tf: typeof tfCore): void {
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
}
