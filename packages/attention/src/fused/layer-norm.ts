import {
  dispatchRaw,
  MAX_WORKGROUPS_X,
  registerWebGPUKernel,
  type WebGPUBackendInternals,
  workgroupGrid,
} from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';
import {
  BACKWARD_DX,
  BACKWARD_PARTIALS,
  BACKWARD_SUM,
  FORWARD,
  layerNormParams,
  ROWS_PER_BLOCK,
} from './layer-norm-shaders';

export const FUSED_LAYER_NORM = 'AttnzooLayerNorm';
export const FUSED_LAYER_NORM_GRAD = 'AttnzooLayerNormGrad';

let enabled = true;

/** Switches the automatic use of the fused layer norm off (benchmarks, A/B checks) or back on. */
export function setFusedLayerNormEnabled(on: boolean): void {
  enabled = on;
}

function forwardKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown }) {
  const backend = args.backend as WebGPUBackendInternals;
  const { x, gamma, beta } = args.inputs as Record<string, tf.TensorInfo>;
  const epsilon = (args.attrs as { epsilon: number }).epsilon;
  const [rows, D] = x.shape;
  const y = backend.makeTensorInfo([rows, D], 'float32');
  const stats = backend.makeTensorInfo([rows, 2], 'float32');
  if (rows * D === 0) return [y, stats];
  dispatchRaw(backend, {
    label: 'AttnzooLayerNormForward',
    code: FORWARD,
    buffers: [y, stats, x, gamma, beta],
    uniforms: layerNormParams(rows, D, epsilon),
    workgroups: workgroupGrid(rows),
    submit: false,
  });
  return [y, stats];
}

function gradKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown }) {
  const backend = args.backend as WebGPUBackendInternals;
  const { dy, x, gamma, stats } = args.inputs as Record<string, tf.TensorInfo>;
  const [rows, D] = x.shape;
  // Blocks of rows for the column sums; at most 65535 of them.
  const rowsPerBlock = Math.max(ROWS_PER_BLOCK, Math.ceil(rows / MAX_WORKGROUPS_X));
  const blocks = Math.max(1, Math.ceil(rows / rowsPerBlock));
  const dx = backend.makeTensorInfo([rows, D], 'float32');
  const dgamma = backend.makeTensorInfo([D], 'float32');
  const dbeta = backend.makeTensorInfo([D], 'float32');
  if (rows * D === 0) return [dx, dgamma, dbeta];
  const partials = backend.makeTensorInfo([blocks, 2, D], 'float32');
  const params = layerNormParams(rows, D, 0, rowsPerBlock);
  dispatchRaw(backend, {
    label: 'AttnzooLayerNormBackwardDx',
    code: BACKWARD_DX,
    buffers: [dx, dy, x, gamma, stats],
    uniforms: params,
    workgroups: workgroupGrid(rows),
    submit: false,
  });
  dispatchRaw(backend, {
    label: 'AttnzooLayerNormBackwardParams',
    code: BACKWARD_PARTIALS,
    buffers: [partials, dy, x, stats],
    uniforms: params,
    workgroups: [Math.ceil(D / 64), blocks, 1],
    submit: false,
  });
  dispatchRaw(backend, {
    label: 'AttnzooLayerNormBackwardSum',
    code: BACKWARD_SUM,
    buffers: [dgamma, dbeta, partials],
    uniforms: params,
    workgroups: [Math.ceil(D / 64), 1, 1],
    submit: false,
  });
  // Recorded, so tfjs keeps the buffer until the dispatch has run (commandQueueOwnedIds).
  backend.disposeData(partials.dataId);
  return [dx, dgamma, dbeta];
}

registerWebGPUKernel(tf, FUSED_LAYER_NORM, forwardKernel as tf.KernelFunc, {
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true],
  gradFunc: ((dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor2D;
    const [x, gamma, stats] = saved;
    // One kernel call for all three gradients, run here (the engine calls each input's closure in
    // its own tidy scope).
    const [dx, dgamma, dbeta] = tf
      .engine()
      .runKernel(FUSED_LAYER_NORM_GRAD, { dy, x, gamma, stats }) as tf.Tensor[];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  }) as tf.GradFunc,
});
registerWebGPUKernel(tf, FUSED_LAYER_NORM_GRAD, gradKernel as tf.KernelFunc);

/** True when layer norms should take the fused path now (webgpu, registered, not switched off). */
export function fusedLayerNormActive(): boolean {
  return enabled && tf.getBackend() === 'webgpu' && tf.getKernel(FUSED_LAYER_NORM, 'webgpu') != null;
}

/**
 * Layer norm over the last axis in one WebGPU dispatch (and three for its gradient), with the
 * unfused ops' arithmetic: mean, then the mean squared deviation, then (x − mean)/σ · γ + β.
 * Unfused, a layer norm costs 14 dispatches forward and backward, and on WebGPU each dispatch
 * costs CPU time whatever its size. Only on the `webgpu` backend.
 */
export function fusedLayerNorm(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): tf.Tensor {
  if (tf.getBackend() !== 'webgpu')
    throw new Error(`The fused layer norm runs on the webgpu backend only (current: ${tf.getBackend()}).`);
  const D = x.shape[x.rank - 1];
  if (gamma.size !== D || beta.size !== D)
    throw new Error(
      `Fused layer norm: gamma [${gamma.shape}] and beta [${beta.shape}] must have the last axis' ${D} values.`,
    );
  return tf.tidy(() => {
    const flat = tf.reshape(x.dtype === 'float32' ? x : tf.cast(x, 'float32'), [-1, D]);
    const [y] = tf.engine().runKernel(FUSED_LAYER_NORM, { x: flat, gamma, beta }, { epsilon }) as tf.Tensor[];
    return tf.reshape(y, x.shape);
  });
}
