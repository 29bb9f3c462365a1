import {
  dispatchRaw,
  MAX_WORKGROUPS_X,
  registerWebGPUKernel,
  type WebGPUBackendInternals,
  workgroupGrid,
} from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';

export const FUSED_GELU = 'AttnzooGelu';
export const FUSED_GELU_GRAD = 'AttnzooGeluGrad';

const THREADS = 256;

let enabled = true;

/** Switches the automatic use of the fused GELU off (benchmarks, A/B checks) or back on. */
export function setFusedGeluEnabled(on: boolean): void {
  enabled = on;
}

/**
 * erf as tfjs's own WebGPU kernel computes it (Abramowitz and Stegun 7.1.26, tfjs's constants), so
 * the fused GELU gives the numbers of tfjs-layers' `x · ½(1 + erf(x/√2))` on the same device.
 */
const ERF = (() => {
  const b = tf.backend_util;
  return `
fn erfApprox(a: f32) -> f32 {
  let t = 1.0 / (1.0 + ${b.ERF_P} * abs(a));
  return sign(a) * (1.0 - (((((${b.ERF_A5} * t + ${b.ERF_A4}) * t) + ${b.ERF_A3}) * t + ${b.ERF_A2}) * t + ${b.ERF_A1}) * t * exp(-a * a));
}`;
})();

const INDEX = `
  let i = i32(gid.x) + i32(gid.y) * ${MAX_WORKGROUPS_X * THREADS};
  if (i >= P.size) { return; }
  let x = X[i];
  let cdf = 0.5 * (1.0 + erfApprox(x * ${Math.SQRT1_2}));`;

const FORWARD = `
struct Params { size: i32 }
@group(0) @binding(0) var<storage, read_write> Y : array<f32>;
@group(0) @binding(1) var<storage, read> X : array<f32>;
@group(0) @binding(2) var<uniform> P : Params;
${ERF}
@compute @workgroup_size(${THREADS})
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
${INDEX}
  Y[i] = x * cdf;
}`;

/** d/dx [x Φ(x)] = Φ(x) + x φ(x): tfjs's Erf gradient is the exact 2/√π e^(−x²) too. */
const BACKWARD = `
struct Params { size: i32 }
@group(0) @binding(0) var<storage, read_write> DX : array<f32>;
@group(0) @binding(1) var<storage, read> X : array<f32>;
@group(0) @binding(2) var<storage, read> DY : array<f32>;
@group(0) @binding(3) var<uniform> P : Params;
${ERF}
@compute @workgroup_size(${THREADS})
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
${INDEX}
  DX[i] = DY[i] * (cdf + x * exp(-0.5 * x * x) * ${1 / Math.sqrt(2 * Math.PI)});
}`;

function elementwise(backend: WebGPUBackendInternals, label: string, code: string, inputs: tf.TensorInfo[]) {
  const x = inputs[0];
  const out = backend.makeTensorInfo(x.shape, 'float32');
  const size = tf.util.sizeFromShape(x.shape);
  if (size === 0) return out;
  dispatchRaw(backend, {
    label,
    code,
    buffers: [out, ...inputs],
    uniforms: new Int32Array([size, 0, 0, 0]).buffer,
    workgroups: workgroupGrid(Math.ceil(size / THREADS)),
    submit: false,
  });
  return out;
}

registerWebGPUKernel(
  tf,
  FUSED_GELU,
  ({ inputs, backend }) =>
    elementwise(backend as WebGPUBackendInternals, 'AttnzooGelu', FORWARD, [inputs.x as tf.TensorInfo]),
  {
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({
      x: () => tf.engine().runKernel(FUSED_GELU_GRAD, { x: saved[0], dy: dy as tf.Tensor }) as tf.Tensor,
    }),
  },
);
registerWebGPUKernel(tf, FUSED_GELU_GRAD, ({ inputs, backend }) =>
  elementwise(backend as WebGPUBackendInternals, 'AttnzooGeluGrad', BACKWARD, [
    inputs.x as tf.TensorInfo,
    inputs.dy as tf.TensorInfo,
  ]),
);

/** True when GELU should take the fused path now (webgpu, registered, not switched off). */
export function fusedGeluActive(): boolean {
  return enabled && tf.getBackend() === 'webgpu' && tf.getKernel(FUSED_GELU, 'webgpu') != null;
}

/**
 * GELU x · Φ(x) in one WebGPU dispatch, and one for its gradient. tfjs-layers' 'gelu' costs four
 * dispatches and three scalar uploads forward and about eight dispatches backward, per feed-forward
 * layer of every block. Only on the `webgpu` backend.
 */
export function fusedGelu(x: tf.Tensor): tf.Tensor {
  if (tf.getBackend() !== 'webgpu')
    throw new Error(`The fused GELU runs on the webgpu backend only (current: ${tf.getBackend()}).`);
  return tf.tidy(
    () =>
      tf
        .engine()
        .runKernel(FUSED_GELU, { x: x.dtype === 'float32' ? x : tf.cast(x, 'float32') }) as tf.Tensor,
  );
}

interface Activation {
  apply(x: tf.Tensor): tf.Tensor;
}

/**
 * tfjs-layers' 'gelu' activation with the fused kernel when it is active: a subclass of the
 * registered class, so a layer's config still says 'gelu' and presets load as before.
 */
export function geluActivation(): Activation | undefined {
  const registered = tf.serialization.SerializationMap.getMap().classNameMap.gelu;
  if (!registered) return undefined; // tfjs-layers not loaded
  const Gelu = registered[0] as unknown as new () => Activation;
  class GeluFusedOnWebGPU extends Gelu {
    override apply(x: tf.Tensor): tf.Tensor {
      return fusedGeluActive() ? fusedGelu(x) : super.apply(x);
    }
  }
  return new GeluFusedOnWebGPU();
}
