import { deviceCaps, dispatchRaw, registerWebGPUKernel, type WebGPUBackendInternals } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { backwardShader } from './backward-shader';
import { forwardShader } from './forward-shader';
import { planTiles } from './tiles';
import { paramsBuffer } from './wgsl-blocks';

/** Kernel names: with and without a key padding mask input (the gradient saves different inputs). */
export const FUSED_ATTENTION = 'AttnzooFusedAttention';
export const FUSED_ATTENTION_MASKED = 'AttnzooFusedAttentionMasked';
export const FUSED_ATTENTION_GRAD = 'AttnzooFusedAttentionGrad';

export interface FusedAttentionOptions {
  /** [B, S], 1 = token, 0 = padding (any dtype; cast to float32). */
  keyPaddingMask?: tf.Tensor;
  /** Query t sees keys ≤ t + (S − L), like causalBias. */
  causal?: boolean;
  /** Defaults to 1 / √dk. */
  scale?: number;
}

interface Attrs {
  causal: boolean;
  scale: number;
  /** Forward only: use subgroup shuffles where the tile plan allows it. */
  subgroups: boolean;
  [key: string]: unknown;
}

let subgroupsAllowed = true;
let enabled = true;
let calls = 0;

/** Switches the automatic use of the fused kernels off (benchmarks, A/B checks) or back on. */
export function setFusedAttentionEnabled(on: boolean): void {
  enabled = on;
}

/** Lets the benchmark and tests compare the subgroup path against the workgroup-memory fallback. */
export function setFusedAttentionSubgroups(allowed: boolean): void {
  subgroupsAllowed = allowed;
}

/** Number of fused forward dispatches so far (tests check which path the layer took). */
export function fusedAttentionCallCount(): number {
  return calls;
}

function shapes(q: tf.TensorInfo, k: tf.TensorInfo) {
  const [B, H, L, D] = q.shape;
  const S = k.shape[2];
  if (B * H > 65535) throw new Error(`Fused attention: batch × heads = ${B * H} exceeds 65535 workgroups.`);
  return { B, H, L, D, S };
}

function uniforms(a: Attrs, H: number, L: number, S: number, rowsTotal = 0) {
  const offset = S - L;
  // Block skipping is exact only when every query sees at least one key (offset ≥ 0).
  return paramsBuffer({ H, L, S, offset, scale: a.scale, skip: a.causal && offset >= 0, rowsTotal });
}

function forwardKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown }) {
  const backend = args.backend as WebGPUBackendInternals;
  const attrs = args.attrs as Attrs;
  const { q, k, v, mask } = args.inputs as Record<string, tf.TensorInfo>;
  const { B, H, L, D, S } = shapes(q, k);
  const plan = planTiles(D, deviceCaps(backend), attrs.subgroups);
  const O = backend.makeTensorInfo([B, H, L, D], 'float32');
  const LSE = backend.makeTensorInfo([B, H, L], 'float32');
  if (B * H * L === 0) return [O, LSE];
  const code = forwardShader({
    D,
    mask: !!mask,
    causal: attrs.causal,
    subgroups: plan.subgroups,
    tiles: plan.tiles.forward,
  });
  dispatchRaw(backend, {
    label: 'AttnzooFusedAttentionForward',
    code,
    buffers: mask ? [O, LSE, q, k, v, mask] : [O, LSE, q, k, v],
    uniforms: uniforms(attrs, H, L, S),
    workgroups: [Math.ceil(L / plan.tiles.forward.br), B * H, 1],
  });
  calls++;
  return [O, LSE];
}

function gradKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown }) {
  const backend = args.backend as WebGPUBackendInternals;
  const attrs = args.attrs as Attrs;
  const { q, k, v, dy, ld, mask } = args.inputs as Record<string, tf.TensorInfo>;
  const { B, H, L, D, S } = shapes(q, k);
  const plan = planTiles(D, deviceCaps(backend), false);
  const dQ = backend.makeTensorInfo([B, H, L, D], 'float32');
  const dK = backend.makeTensorInfo([B, H, S, D], 'float32');
  const dV = backend.makeTensorInfo([B, H, S, D], 'float32');
  const extra = mask ? [mask] : [];
  const params = uniforms(attrs, H, L, S, B * H * L);
  dispatchRaw(backend, {
    label: 'AttnzooFusedAttentionBackwardKV',
    code: backwardShader('dkdv', { D, mask: !!mask, causal: attrs.causal, tiles: plan.tiles.dkdv }),
    buffers: [dK, dV, q, k, v, dy, ld, ...extra],
    uniforms: params,
    workgroups: [Math.ceil(S / plan.tiles.dkdv.rows), B * H, 1],
  });
  dispatchRaw(backend, {
    label: 'AttnzooFusedAttentionBackwardQ',
    code: backwardShader('dq', { D, mask: !!mask, causal: attrs.causal, tiles: plan.tiles.dq }),
    buffers: [dQ, q, k, v, dy, ld, ...extra],
    uniforms: params,
    workgroups: [Math.ceil(L / plan.tiles.dq.rows), B * H, 1],
  });
  return [dQ, dK, dV];
}

function gradFunc(masked: boolean) {
  return (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor4D;
    const [q, k, v] = saved;
    const mask = masked ? saved[3] : undefined;
    const [o, lse] = saved.slice(masked ? 4 : 3);
    // All three come from one pair of dispatches, computed here (not in the per-input closures,
    // which the engine runs in separate tidy scopes).
    const delta = tf.sum(tf.mul(dy, o), -1);
    const inputs: tf.NamedTensorMap = {
      q,
      k,
      v,
      dy,
      ld: tf.concat([tf.reshape(lse, [-1]), tf.reshape(delta, [-1])]),
    };
    if (mask) inputs.mask = mask;
    const grads = tf.engine().runKernel(FUSED_ATTENTION_GRAD, inputs, attrs) as tf.Tensor[];
    const out: Record<string, () => tf.Tensor> = { q: () => grads[0], k: () => grads[1], v: () => grads[2] };
    if (mask) out.mask = () => tf.zerosLike(mask);
    return out;
  };
}

registerWebGPUKernel(tf, FUSED_ATTENTION, forwardKernel as tf.KernelFunc, {
  inputsToSave: ['q', 'k', 'v'],
  outputsToSave: [true, true],
  gradFunc: gradFunc(false) as tf.GradFunc,
});
registerWebGPUKernel(tf, FUSED_ATTENTION_MASKED, forwardKernel as tf.KernelFunc, {
  inputsToSave: ['q', 'k', 'v', 'mask'],
  outputsToSave: [true, true],
  gradFunc: gradFunc(true) as tf.GradFunc,
});
registerWebGPUKernel(tf, FUSED_ATTENTION_GRAD, gradKernel as tf.KernelFunc);

/** True when the current backend has the fused kernels (tfjs's `webgpu`). */
export function fusedAttentionAvailable(): boolean {
  return tf.getBackend() === 'webgpu' && tf.getKernel(FUSED_ATTENTION, 'webgpu') != null;
}

/** True when attention should take the fused path now (available and not switched off). */
export function fusedAttentionActive(): boolean {
  return enabled && fusedAttentionAvailable();
}

/**
 * softmax(q kᵀ · scale + mask) v in one fused WebGPU pass per (batch·head, query block), with
 * its gradient registered (recompute backward). q [B, h, L, dk], k and v [B, h, S, dk].
 * Masked keys get the same additive −1e9 as the unfused path, so both agree even on rows
 * whose keys are all padding. Only on the `webgpu` backend.
 */
export function fusedAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  options: FusedAttentionOptions = {},
): tf.Tensor4D {
  if (!fusedAttentionAvailable()) {
    throw new Error(`Fused attention runs on the webgpu backend only (current: ${tf.getBackend()}).`);
  }
  const [B, H, , D] = q.shape;
  const S = k.shape[2];
  if (k.shape[0] !== B || k.shape[1] !== H || k.shape[3] !== D || v.shape.join() !== k.shape.join()) {
    throw new Error(
      `Fused attention: q [${q.shape}], k [${k.shape}], v [${v.shape}] must be [B, h, L, dk], [B, h, S, dk], [B, h, S, dk].`,
    );
  }
  const attrs: Attrs = {
    causal: options.causal ?? false,
    scale: options.scale ?? 1 / Math.sqrt(D),
    subgroups: subgroupsAllowed,
  };
  return tf.tidy(() => {
    const f32 = (t: tf.Tensor) => (t.dtype === 'float32' ? t : tf.cast(t, 'float32'));
    const inputs: tf.NamedTensorMap = { q: f32(q), k: f32(k), v: f32(v) };
    let name = FUSED_ATTENTION;
    if (options.keyPaddingMask) {
      const m = options.keyPaddingMask;
      if (m.rank !== 2 || m.shape[0] !== B || m.shape[1] !== S) {
        throw new Error(`Fused attention: key padding mask [${m.shape}] must be [batch=${B}, keys=${S}].`);
      }
      inputs.mask = f32(m);
      name = FUSED_ATTENTION_MASKED;
    }
    const [out] = tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return out as tf.Tensor4D;
  });
}
