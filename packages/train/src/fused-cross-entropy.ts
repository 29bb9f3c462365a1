import {
  dispatchRaw,
  MAX_WORKGROUPS_X,
  registerWebGPUKernel,
  type WebGPUBackendInternals,
  workgroupGrid,
} from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';

/** Forward: logits [rows, C] and int32 labels [rows] → mean loss [], logsumexp [rows], count []. */
export const FUSED_CROSS_ENTROPY = 'AttnzooCrossEntropy';
/** Backward: dy [], logits, labels, logsumexp and count → dlogits [rows, C]. */
export const FUSED_CROSS_ENTROPY_GRAD = 'AttnzooCrossEntropyGrad';

const THREADS = 256;

let enabled = true;

/**
 * Switches the fused softmax cross-entropy off (the loss from logits is then tfjs's logSoftmax,
 * oneHot and reductions, as on the other backends) or back on.
 */
export function setFusedCrossEntropyEnabled(on: boolean): void {
  enabled = on;
}

export function fusedCrossEntropyEnabled(): boolean {
  return enabled;
}

export interface FusedCrossEntropyAttrs {
  /** Label smoothing epsilon in [0, 1). */
  labelSmoothing: number;
  /** Label whose rows are left out of the loss and of the mean's count; null for none. */
  ignoreIndex: number | null;
}

// Every kernel reads the same parameters; all but `rows` and `size` are constants of a run, and
// those two change only with the shape, so the uniforms of a step are those of the previous one.
const PARAMS = `
struct Params { rows: u32, classes: u32, ignore: i32, hasIgnore: u32, smoothing: f32, size: u32, pad0: u32, pad1: u32 }`;

const ROW_HELPERS = `
fn isIgnored(label: i32) -> bool { return P.hasIgnore != 0u && label == P.ignore; }
fn isClass(label: i32) -> bool { return label >= 0 && u32(label) < P.classes; }`;

/**
 * The end of a row in the forward pass. With h = 1 − ε for a label in [0, C) (0 otherwise, as
 * oneHot gives a zero row), s = Σ exp(x − max) and d = Σ (x − max), the loss −Σ_c target_c ·
 * (x_c − lse) is (h + ε)·log s − h·(x_label − max) − ε·d/C; rows labelled ignoreIndex give 0.
 */
const FORWARD_BINDINGS = `${PARAMS}
@group(0) @binding(0) var<storage, read_write> RowLoss : array<f32>;
@group(0) @binding(1) var<storage, read_write> Lse : array<f32>;
@group(0) @binding(2) var<storage, read> X : array<f32>;
@group(0) @binding(3) var<storage, read> Labels : array<i32>;
@group(0) @binding(4) var<uniform> P : Params;
${ROW_HELPERS}

fn finishRow(row: u32, base: u32, rowMax: f32, sumExp: f32, sumShifted: f32) {
  let label = Labels[row];
  let logS = log(sumExp);
  Lse[row] = rowMax + logS;
  var h = 0.0;
  var xl = 0.0;
  if (isClass(label)) {
    h = 1.0 - P.smoothing;
    xl = X[base + u32(label)] - rowMax;
  }
  let eps = P.smoothing;
  let loss = (h + eps) * logS - h * xl - eps * (sumShifted / f32(P.classes));
  RowLoss[row] = select(loss, 0.0, isIgnored(label));
}`;

/** Up to this many classes a row is one thread's work; above, one workgroup's. */
const SMALL_CLASSES = 32;
const SMALL_THREADS = 64;
/** Up to this many classes a row's workgroup has 64 threads; above (a vocabulary), 256. */
const MEDIUM_CLASSES = 1024;

/**
 * One workgroup per row: the maximum, then Σ exp(x − max) and Σ (x − max), in workgroup memory;
 * `threads` a power of two.
 */
const forwardRows = (threads: number) => `${FORWARD_BINDINGS}

var<workgroup> redA : array<f32, ${threads}>;
var<workgroup> redB : array<f32, ${threads}>;

@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) t : u32) {
  let row = wid.x + wid.y * ${MAX_WORKGROUPS_X}u;
  if (row >= P.rows) { return; }
  let base = row * P.classes;
  var m = bitcast<f32>(0xff7fffffu); // −FLT_MAX
  for (var c = t; c < P.classes; c = c + ${threads}u) { m = max(m, X[base + c]); }
  redA[t] = m;
  workgroupBarrier();
  for (var s = ${threads / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) { redA[t] = max(redA[t], redA[t + s]); }
    workgroupBarrier();
  }
  let rowMax = redA[0];
  workgroupBarrier();
  var se = 0.0;
  var sx = 0.0;
  for (var c = t; c < P.classes; c = c + ${threads}u) {
    let v = X[base + c] - rowMax;
    se = se + exp(v);
    sx = sx + v;
  }
  redA[t] = se;
  redB[t] = sx;
  workgroupBarrier();
  for (var s = ${threads / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) {
      redA[t] = redA[t] + redA[t + s];
      redB[t] = redB[t] + redB[t + s];
    }
    workgroupBarrier();
  }
  if (t == 0u) { finishRow(row, base, rowMax, redA[0], redB[0]); }
}`;

/** Few classes (a classifier's head): one thread per row, no workgroup memory. */
const FORWARD_SMALL_ROWS = `${FORWARD_BINDINGS}

@compute @workgroup_size(${SMALL_THREADS})
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
  let row = gid.x + gid.y * ${MAX_WORKGROUPS_X * SMALL_THREADS}u;
  if (row >= P.rows) { return; }
  let base = row * P.classes;
  var m = X[base];
  for (var c = 1u; c < P.classes; c = c + 1u) { m = max(m, X[base + c]); }
  var se = 0.0;
  var sx = 0.0;
  for (var c = 0u; c < P.classes; c = c + 1u) {
    let v = X[base + c] - m;
    se = se + exp(v);
    sx = sx + v;
  }
  finishRow(row, base, m, se, sx);
}`;

/** One workgroup: Σ row losses / max(count, 1), count = rows not labelled ignoreIndex. */
const FORWARD_MEAN = `${PARAMS}
@group(0) @binding(0) var<storage, read_write> Loss : array<f32>;
@group(0) @binding(1) var<storage, read_write> Count : array<f32>;
@group(0) @binding(2) var<storage, read> RowLoss : array<f32>;
@group(0) @binding(3) var<storage, read> Labels : array<i32>;
@group(0) @binding(4) var<uniform> P : Params;
${ROW_HELPERS}

var<workgroup> redA : array<f32, ${THREADS}>;
var<workgroup> redB : array<f32, ${THREADS}>;

@compute @workgroup_size(${THREADS})
fn main(@builtin(local_invocation_index) t : u32) {
  var total = 0.0;
  var count = 0.0;
  for (var r = t; r < P.rows; r = r + ${THREADS}u) {
    total = total + RowLoss[r];
    count = count + select(1.0, 0.0, isIgnored(Labels[r]));
  }
  redA[t] = total;
  redB[t] = count;
  workgroupBarrier();
  for (var s = ${THREADS / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) {
      redA[t] = redA[t] + redA[t + s];
      redB[t] = redB[t] + redB[t + s];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    Count[0] = redB[0];
    Loss[0] = redA[0] / max(redB[0], 1.0);
  }
}`;

/**
 * One thread per logit: dx = ((h + ε)·softmax(x) − target) · dy / max(count, 1), 0 on ignored
 * rows, softmax from the saved logsumexp.
 */
const BACKWARD = `${PARAMS}
@group(0) @binding(0) var<storage, read_write> DX : array<f32>;
@group(0) @binding(1) var<storage, read> DY : array<f32>;
@group(0) @binding(2) var<storage, read> X : array<f32>;
@group(0) @binding(3) var<storage, read> Labels : array<i32>;
@group(0) @binding(4) var<storage, read> Lse : array<f32>;
@group(0) @binding(5) var<storage, read> Count : array<f32>;
@group(0) @binding(6) var<uniform> P : Params;
${ROW_HELPERS}

@compute @workgroup_size(${THREADS})
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
  let i = gid.x + gid.y * ${MAX_WORKGROUPS_X * THREADS}u;
  if (i >= P.size) { return; }
  let row = i / P.classes;
  let c = i - row * P.classes;
  let label = Labels[row];
  let eps = P.smoothing;
  let h = select(0.0, 1.0 - eps, isClass(label));
  let goal = eps / f32(P.classes) + select(0.0, h, isClass(label) && u32(label) == c);
  let p = exp(X[i] - Lse[row]);
  let scale = select(DY[0] / max(Count[0], 1.0), 0.0, isIgnored(label));
  DX[i] = ((h + eps) * p - goal) * scale;
}`;

function params(rows: number, classes: number, attrs: FusedCrossEntropyAttrs): ArrayBuffer {
  const buffer = new ArrayBuffer(32);
  const view = new DataView(buffer);
  view.setUint32(0, rows, true);
  view.setUint32(4, classes, true);
  view.setInt32(8, attrs.ignoreIndex ?? 0, true);
  view.setUint32(12, attrs.ignoreIndex == null ? 0 : 1, true);
  view.setFloat32(16, attrs.labelSmoothing, true);
  view.setUint32(20, rows * classes, true);
  return buffer;
}

const FORWARD_ROWS_64 = forwardRows(64);
const FORWARD_ROWS_256 = forwardRows(THREADS);

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown };

function forwardKernel(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as WebGPUBackendInternals;
  const { logits, labels } = args.inputs as Record<string, tf.TensorInfo>;
  const attrs = args.attrs as unknown as FusedCrossEntropyAttrs;
  const [rows, classes] = logits.shape;
  const loss = backend.makeTensorInfo([], 'float32');
  const lse = backend.makeTensorInfo([rows], 'float32');
  const count = backend.makeTensorInfo([], 'float32');
  const rowLoss = backend.makeTensorInfo([rows], 'float32');
  const uniforms = params(rows, classes, attrs);
  const small = classes <= SMALL_CLASSES;
  dispatchRaw(backend, {
    label: 'AttnzooCrossEntropyRows',
    code: small ? FORWARD_SMALL_ROWS : classes <= MEDIUM_CLASSES ? FORWARD_ROWS_64 : FORWARD_ROWS_256,
    buffers: [rowLoss, lse, logits, labels],
    uniforms,
    workgroups: workgroupGrid(small ? Math.ceil(rows / SMALL_THREADS) : rows),
    submit: false,
  });
  dispatchRaw(backend, {
    label: 'AttnzooCrossEntropyMean',
    code: FORWARD_MEAN,
    buffers: [loss, count, rowLoss, labels],
    uniforms,
    workgroups: [1, 1, 1],
    submit: false,
  });
  // Recorded, so tfjs keeps the buffer until the dispatches have run (commandQueueOwnedIds).
  backend.disposeData(rowLoss.dataId);
  return [loss, lse, count];
}

function gradKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WebGPUBackendInternals;
  const { dy, logits, labels, lse, count } = args.inputs as Record<string, tf.TensorInfo>;
  const attrs = args.attrs as unknown as FusedCrossEntropyAttrs;
  const [rows, classes] = logits.shape;
  const dx = backend.makeTensorInfo([rows, classes], 'float32');
  dispatchRaw(backend, {
    label: 'AttnzooCrossEntropyBackward',
    code: BACKWARD,
    buffers: [dx, dy, logits, labels, lse, count],
    uniforms: params(rows, classes, attrs),
    workgroups: workgroupGrid(Math.ceil((rows * classes) / THREADS)),
    submit: false,
  });
  return dx;
}

registerWebGPUKernel(tf, FUSED_CROSS_ENTROPY, forwardKernel as tf.KernelFunc);
registerWebGPUKernel(tf, FUSED_CROSS_ENTROPY_GRAD, gradKernel as tf.KernelFunc);

/** True when the loss from logits takes the fused path now (webgpu, registered, not switched off). */
export function fusedCrossEntropyActive(): boolean {
  return enabled && tf.getBackend() === 'webgpu' && tf.getKernel(FUSED_CROSS_ENTROPY, 'webgpu') != null;
}

/**
 * Mean softmax cross-entropy of logits [..., C] against integer labels [...] on the webgpu backend:
 * per row −Σ_c target_c · log softmax(x)_c with target = (1 − ε)·onehot(label) + ε/C, rows
 * labelled `ignoreIndex` left out of the sum and of the count (0 when every row is ignored).
 * Two dispatches forward (per-row loss and logsumexp, one workgroup a row, or one thread a row up
 * to 32 classes; their mean) and one backward (softmax − target, scaled, in one pass over the
 * logits), where tfjs's logSoftmax, oneHot, smoothing and mask take 23 dispatches forward and 33
 * with the backward pass, and five to seven [rows, C] tensors forward. Nothing is read back or
 * uploaded; float labels are cast on the device (tfjs casts a small tensor still in host memory
 * on the host).
 */
export function fusedSoftmaxCrossEntropy(
  logits: tf.Tensor,
  labels: tf.Tensor,
  opts: { labelSmoothing?: number; ignoreIndex?: number },
): tf.Scalar {
  if (tf.getBackend() !== 'webgpu' || tf.getKernel(FUSED_CROSS_ENTROPY, 'webgpu') == null)
    throw new Error(`The fused cross-entropy runs on the webgpu backend only (current: ${tf.getBackend()}).`);
  const { labelSmoothing = 0, ignoreIndex } = opts;
  if (!(labelSmoothing >= 0 && labelSmoothing < 1))
    throw new Error(`labelSmoothing must be in [0, 1), got ${labelSmoothing}`);
  if (ignoreIndex !== undefined && !Number.isInteger(ignoreIndex))
    throw new Error(`ignoreIndex must be an integer, got ${ignoreIndex}`);
  if (logits.size === 0) throw new Error(`The fused cross-entropy needs logits, got [${logits.shape}]`);
  const classes = logits.shape[logits.rank - 1];
  const rows = logits.size / Math.max(classes, 1);
  if (labels.size !== rows)
    throw new Error(
      `labels [${labels.shape}] must have one value for each of the ${rows} rows of the logits [${logits.shape}]`,
    );
  const attrs: FusedCrossEntropyAttrs = { labelSmoothing, ignoreIndex: ignoreIndex ?? null };
  const namedAttrs = attrs as unknown as tf.NamedAttrMap;
  return tf.tidy(() => {
    const x = tf.reshape(logits.dtype === 'float32' ? logits : tf.cast(logits, 'float32'), [rows, classes]);
    const ids = tf.reshape(labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32'), [rows]);
    const body = (x2d: tf.Tensor, save: tf.GradSaveFunc) => {
      const [loss, lse, count] = tf
        .engine()
        .runKernel(FUSED_CROSS_ENTROPY, { logits: x2d, labels: ids }, namedAttrs) as tf.Tensor[];
      save([x2d, ids, lse, count]);
      return {
        value: loss,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, labelIds, logSumExp, n] = saved;
          const inputs = { dy, logits: xs, labels: labelIds, lse: logSumExp, count: n };
          return tf.engine().runKernel(FUSED_CROSS_ENTROPY_GRAD, inputs, namedAttrs) as tf.Tensor;
        },
      };
    };
    // customGrad's typing has one variadic signature; the arguments really are (logits, save). The
    // labels are not an input: they get no gradient, and are saved for the backward pass.
    const lossOf = tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0]);
    return lossOf(x) as tf.Scalar;
  });
}
