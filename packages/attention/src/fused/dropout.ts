import {
  dispatchRaw,
  drawSeed,
  MAX_WORKGROUPS_X,
  registerWebGPUKernel,
  type WebGPUBackendInternals,
  workgroupGrid,
} from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';

export const FUSED_DROPOUT = 'AttnzooDropout';

const THREADS = 256;
const TWO_32 = 4294967296;

let enabled = true;

/**
 * Switches attnzoo's hash dropout off (tfjs's own `tf.dropout`, exactly as before, on every
 * backend) or back on.
 */
export function setFusedDropoutEnabled(on: boolean): void {
  enabled = on;
}

export function fusedDropoutEnabled(): boolean {
  return enabled;
}

// Philox-2x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011; the
// generator of cuRAND and Random123): counter (element index, 0), key the call's seed, ten rounds,
// first output word. A counter-based generator gives element i its bits without state, so the
// mask is computed where it is used, forward and backward, and never stored or uploaded.
const PHILOX_M = 0xd256d193;
const PHILOX_W = 0x9e3779b9;
const PHILOX_ROUNDS = 10;

const M0 = PHILOX_M & 0xffff;
const M1 = PHILOX_M >>> 16;

/** High word of the 64-bit product M · x (16-bit limbs in int32 arithmetic: no partial product overflows). */
function mulhiM(x: number): number {
  const x0 = x & 0xffff;
  const x1 = x >>> 16;
  const p01 = Math.imul(x0, M1) >>> 0;
  const p10 = Math.imul(x1, M0) >>> 0;
  const mid = (Math.imul(x0, M0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (Math.imul(x1, M1) >>> 0) + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
}

/** Philox-2x32-10 of counter (c0, c1) under key k: both output words, as u32. */
export function philox2x32(c0: number, c1: number, key: number): [number, number] {
  let x0 = c0 | 0;
  let x1 = c1 | 0;
  let k = key | 0;
  for (let r = 0; r < PHILOX_ROUNDS; r++) {
    const lo = Math.imul(PHILOX_M, x0);
    x0 = mulhiM(x0) ^ k ^ x1;
    x1 = lo;
    k = (k + PHILOX_W) | 0;
  }
  return [x0 >>> 0, x1 >>> 0];
}

/** The dropout bits of element i: philox2x32(i, 0, seed)[0], without the pair. */
function dropoutBits(i: number, seed: number): number {
  let x0 = i | 0;
  let x1 = 0;
  let k = seed | 0;
  for (let r = 0; r < PHILOX_ROUNDS; r++) {
    const lo = Math.imul(PHILOX_M, x0);
    x0 = mulhiM(x0) ^ k ^ x1;
    x1 = lo;
    k = (k + PHILOX_W) | 0;
  }
  return x0 >>> 0;
}

/** Keep element i when its bits reach rate · 2³²: P(keep) = 1 − rate (to 2⁻³²). */
export function dropoutThreshold(rate: number): number {
  return Math.min(Math.round(rate * TWO_32), TWO_32 - 1);
}

/** 1 / (1 − rate) in float32, the factor kept elements are multiplied by on every backend. */
export function dropoutScale(rate: number): number {
  return Math.fround(1 / (1 - rate));
}

/** The multiplier the hash dropout applies to elements 0..size−1 (0 or 1/(1 − rate)), on the host. */
export function dropoutMultiplier(seed: number, size: number, rate: number): Float32Array {
  const threshold = dropoutThreshold(rate);
  const scale = dropoutScale(rate);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = dropoutBits(i, seed) >= threshold ? scale : 0;
  return out;
}

/** A dropout seed: one u32 from Math.random, which attnzoo's trainer replaces with its seeded RNG. */
export function drawDropoutSeed(): number {
  return drawSeed();
}

const SHADER = `
struct Params { size: i32, seed: u32, threshold: u32, scale: f32 }
@group(0) @binding(0) var<storage, read_write> Y : array<f32>;
@group(0) @binding(1) var<storage, read> X : array<f32>;
@group(0) @binding(2) var<uniform> P : Params;

fn mulhi(a: u32, b: u32) -> u32 {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let mid = ((a0 * b0) >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
}

fn philox(index: u32, key: u32) -> u32 {
  var x0 = index;
  var x1 = 0u;
  var k = key;
  for (var r = 0; r < ${PHILOX_ROUNDS}; r++) {
    let hi = mulhi(${PHILOX_M}u, x0);
    let lo = ${PHILOX_M}u * x0;
    x0 = hi ^ k ^ x1;
    x1 = lo;
    k = k + ${PHILOX_W}u;
  }
  return x0;
}

@compute @workgroup_size(${THREADS})
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
  let i = i32(gid.x) + i32(gid.y) * ${MAX_WORKGROUPS_X * THREADS};
  if (i >= P.size) { return; }
  Y[i] = select(0.0, X[i] * P.scale, philox(u32(i), P.seed) >= P.threshold);
}`;

interface DropoutAttrs {
  seed: number;
  rate: number;
}

// The gradient is the same kernel on dy with the same seed: dx = dy · keep(i) / (1 − rate).
registerWebGPUKernel(
  tf,
  FUSED_DROPOUT,
  ({ inputs, backend, attrs }) => {
    const gpu = backend as WebGPUBackendInternals;
    const x = inputs.x as tf.TensorInfo;
    const { seed, rate } = attrs as unknown as DropoutAttrs;
    const out = gpu.makeTensorInfo(x.shape, 'float32');
    const size = tf.util.sizeFromShape(x.shape);
    if (size === 0) return out;
    const uniforms = new ArrayBuffer(16);
    const view = new DataView(uniforms);
    view.setInt32(0, size, true);
    view.setUint32(4, seed >>> 0, true);
    view.setUint32(8, dropoutThreshold(rate), true);
    view.setFloat32(12, dropoutScale(rate), true);
    dispatchRaw(gpu, {
      label: FUSED_DROPOUT,
      code: SHADER,
      buffers: [out, x],
      uniforms,
      workgroups: workgroupGrid(Math.ceil(size / THREADS)),
      submit: false,
      seedOffset: 4,
    });
    return out;
  },
  {
    gradFunc: (dy, _saved, attrs) => ({
      x: () => tf.engine().runKernel(FUSED_DROPOUT, { x: dy as tf.Tensor }, attrs) as tf.Tensor,
    }),
  },
);

/** True when the hash dropout runs as the WebGPU kernel now (webgpu, registered, not switched off). */
export function fusedDropoutActive(): boolean {
  return enabled && tf.getBackend() === 'webgpu' && tf.getKernel(FUSED_DROPOUT, 'webgpu') != null;
}

function checkRate(rate: number): void {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout rate must be in [0, 1), got ${rate}.`);
}

/**
 * x · keep(i) / (1 − rate), keep(i) = philox(seed, i) ≥ rate · 2³², elementwise. On webgpu one
 * dispatch forward and one backward (the mask is recomputed from the seed, never stored or
 * uploaded); on other backends the same mask, computed on the host, times x. A seed gives the
 * same mask on every backend.
 */
export function hashDropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor {
  checkRate(rate);
  if (rate === 0) return x.clone();
  return tf.tidy(() => {
    const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
    if (tf.getBackend() === 'webgpu' && tf.getKernel(FUSED_DROPOUT, 'webgpu') != null)
      return tf.engine().runKernel(FUSED_DROPOUT, { x: xf }, { seed: seed >>> 0, rate }) as tf.Tensor;
    return tf.mul(xf, tf.tensor(dropoutMultiplier(seed >>> 0, xf.size, rate), xf.shape));
  });
}

/**
 * Training-time dropout of attnzoo's layers: the hash dropout with a fresh seed from Math.random
 * per call; when switched off, tfjs's `tf.dropout(x, rate, undefined, tfjsSeed)` as before.
 */
export function dropout(x: tf.Tensor, rate: number, tfjsSeed?: number): tf.Tensor {
  if (!enabled) return tf.dropout(x, rate, undefined, tfjsSeed);
  return hashDropout(x, rate, drawDropoutSeed());
}
