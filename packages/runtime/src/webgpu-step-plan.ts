import * as tf from '@tensorflow/tfjs-core';
import { drawSeed } from './step-hooks';
import {
  type BufferClaimant,
  type BufferManagerInternals,
  offerToClaimants,
  returnToPool,
} from './webgpu-buffer-hold';
import type { WebGPUBackendInternals } from './webgpu-dispatch';

export type StepCommand =
  | {
      kind: 'dispatch';
      pipeline: GPUComputePipeline;
      bindGroup: GPUBindGroup;
      workgroups: [number, number, number];
    }
  | { kind: 'copy'; src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; size: number }
  | { kind: 'clear'; buffer: GPUBuffer; offset: number; size: number };

/** A step input: where a replay writes its new value. */
export interface PlanInput {
  key: string;
  slot: GPUBuffer;
  /** Bytes (4 per element). */
  size: number;
  shape: number[];
  dtype: tf.DataType;
}

export interface PlanOutput {
  key: string;
  buffer: GPUBuffer;
  shape: number[];
  dtype: tf.DataType;
}

/** A variable the step reads (and maybe updates) in `buffer`. */
export interface PlanVariable {
  variable: tf.Variable;
  buffer: GPUBuffer;
}

export interface StepPlanParts {
  backend: WebGPUBackendInternals & {
    bufferManager: BufferManagerInternals;
    tensorMap: {
      get(
        dataId: object,
      ): { resource: GPUBuffer | null; values: ArrayLike<number> | null; refCount: number } | undefined;
    };
  };
  claimants: Set<BufferClaimant>;
  commands: StepCommand[];
  /** Command indices where a segment ends (a replay may read outputs there). */
  marks: number[];
  inputs: PlanInput[];
  outputs: PlanOutput[];
  variables: PlanVariable[];
  seeds: { buffer: GPUBuffer; offset: number; draw: number }[];
  draws: number;
  owned: Map<GPUBuffer, boolean>;
  touched: Set<GPUBuffer>;
  stillHeld: Set<GPUBuffer>;
  signature: string[];
}

export type StepInputValue = tf.Tensor | Float32Array | Int32Array;

/**
 * Where two captures' signatures first differ, in words; undefined when they agree. A step whose
 * consecutive captures differ has something besides its marked inputs that changes per step.
 */
export function signatureDifference(a: string[], b: string[]): string | undefined {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return `${a[i] ?? 'nothing'}, then ${b[i] ?? 'nothing'}`;
  }
  return undefined;
}

/**
 * One captured training step, replayed with one command buffer per segment: the same kernels on
 * the same buffers, new inputs written into their slots, new seeds into their uniform words, the
 * weights updated in place. No tfjs op and no tensor is created; the JavaScript cost is encoding
 * the recorded dispatches.
 */
export class StepPlan implements BufferClaimant {
  readonly signature: string[];
  private readonly segments: StepCommand[][];
  private readonly readback = new Map<string, GPUBuffer>();
  private disposed = false;
  private next = 0;
  private preEncoded: { index: number; enc: GPUCommandEncoder } | undefined;

  constructor(private readonly p: StepPlanParts) {
    this.signature = p.signature;
    const cuts = [0, ...p.marks, p.commands.length];
    this.segments = [];
    for (let i = 0; i + 1 < cuts.length; i++) this.segments.push(p.commands.slice(cuts[i], cuts[i + 1]));
    p.claimants.add(this);
  }

  /** Number of segments; `run(i)` runs them in order. */
  get segmentCount(): number {
    return this.segments.length;
  }

  claim(buffer: GPUBuffer, reuse: boolean): boolean {
    if (this.disposed || !this.p.touched.has(buffer)) return false;
    this.p.owned.set(buffer, reuse);
    this.p.stillHeld.delete(buffer);
    return true;
  }

  /** Why the plan cannot be replayed now, or undefined when it can. */
  check(): string | undefined {
    if (this.disposed) return 'the plan was disposed';
    if (tf.engine().backend !== (this.p.backend as unknown)) return 'the backend changed';
    for (const v of this.p.variables) {
      if (v.variable.isDisposed) return `weight '${v.variable.name}' was disposed`;
      const data = this.p.backend.tensorMap.get(v.variable.dataId);
      if (data?.resource !== v.buffer) {
        return `weight '${v.variable.name}' was assigned outside the captured step`;
      }
    }
    if (this.p.stillHeld.size > 0) {
      // Tensors disposed since the capture may wait in tfjs's pending list for the next submit.
      const b = this.p.backend;
      b.ensureCommandEncoderReady();
      b.endComputePassEncoder();
      b.submitQueue();
    }
    if (this.p.stillHeld.size > 0)
      return `${this.p.stillHeld.size} tensors computed by the captured step are still alive`;
    return undefined;
  }

  /**
   * tf.clone shares a weight's buffer (a best-epoch snapshot, say), and a replay writes weights in
   * place, so the snapshot would follow the weights on. Before replaying, every tensor sharing a
   * weight's buffer gets a copy of it, and the weight keeps the plan's buffer under a new id.
   */
  private detachShared(): void {
    const b = this.p.backend;
    for (const v of this.p.variables) {
      const data = b.tensorMap.get(v.variable.dataId);
      if (!data || data.refCount <= 1) continue;
      const copy = tf.tidy(() => tf.mul(v.variable, 1)); // * 1 keeps -0 and NaN bits as they are
      const copied = b.tensorMap.get(copy.dataId);
      if (!copied?.resource) throw new Error(`could not copy weight '${v.variable.name}' on the GPU`);
      // The shared id (the snapshots) takes the copy; the copy's id, now the weight's, the plan's buffer.
      [data.resource, copied.resource] = [copied.resource, data.resource];
      v.variable.assign(copy);
      copy.dispose();
    }
  }

  /**
   * Writes the step's inputs and fresh seeds (drawn now, with Math.random) for the next replay;
   * call before `run(0)`. Every input key of the capture needs a value of the captured size.
   */
  prepare(inputs: Record<string, StepInputValue>): void {
    const reason = this.check();
    if (reason) throw new Error(`cannot replay the captured step: ${reason}`);
    if (this.next !== 0) throw new Error('the previous replay did not run all its segments');
    const b = this.p.backend;
    this.detachShared();
    // tfjs keeps a tensor's values on the CPU after its first read and never reads the GPU again
    // (its tensors are immutable); a replay writes weights and moments in place, so drop that copy.
    for (const v of this.p.variables) {
      const data = b.tensorMap.get(v.variable.dataId);
      if (data) data.values = null;
    }
    let enc: GPUCommandEncoder | undefined;
    for (const input of this.p.inputs) {
      const value = inputs[input.key];
      if (value === undefined) throw new Error(`step input '${input.key}' is missing`);
      if (value instanceof tf.Tensor) {
        if (value.size * 4 !== input.size) {
          throw new Error(
            `step input '${input.key}' has ${value.size} elements, the captured step ${input.size / 4}`,
          );
        }
        const data = b.tensorMap.get(value.dataId);
        if (data?.values && !data.resource) {
          const typed =
            value.dtype === 'int32' || value.dtype === 'bool'
              ? Int32Array.from(data.values)
              : Float32Array.from(data.values);
          b.queue.writeBuffer(input.slot, 0, typed);
        } else {
          b.uploadToGPU(value.dataId);
          const src = b.tensorMap.get(value.dataId)?.resource as GPUBuffer;
          // tfjs may hold pending commands that write `src`: they go first.
          if (b.commandEncoder) {
            b.endComputePassEncoder();
            b.submitQueue();
          }
          enc ??= b.device.createCommandEncoder();
          enc.copyBufferToBuffer(src, 0, input.slot, 0, input.size);
        }
      } else {
        if (value.byteLength !== input.size) {
          throw new Error(
            `step input '${input.key}' has ${value.length} elements, the captured step ${input.size / 4}`,
          );
        }
        b.queue.writeBuffer(input.slot, 0, value as Float32Array<ArrayBuffer>);
      }
    }
    if (enc) b.queue.submit([enc.finish()]);
    if (this.p.draws > 0) {
      const drawn: number[] = [];
      for (let i = 0; i < this.p.draws; i++) drawn.push(drawSeed());
      const word = new Uint32Array(1);
      for (const s of this.p.seeds) {
        word[0] = drawn[s.draw];
        b.queue.writeBuffer(s.buffer, s.offset, word);
      }
    }
  }

  /**
   * Runs segment `index` (in order, after `prepare`) and reads back the named outputs, which
   * must have been computed by then.
   */
  async run(index: number, read: string[] = []): Promise<Record<string, Float32Array | Int32Array>> {
    if (index !== this.next)
      throw new Error(`replay segment ${index} run out of order (expected ${this.next})`);
    const b = this.p.backend;
    if (b.commandEncoder) {
      b.endComputePassEncoder();
      b.submitQueue();
    }
    let enc: GPUCommandEncoder;
    if (this.preEncoded?.index === index) enc = this.preEncoded.enc;
    else {
      enc = b.device.createCommandEncoder();
      encode(enc, this.segments[index]);
    }
    this.preEncoded = undefined;
    const reads: { out: PlanOutput; staging: GPUBuffer }[] = [];
    for (const key of read) {
      const out = this.p.outputs.find((o) => o.key === key);
      if (!out) throw new Error(`'${key}' is not an output of the captured step`);
      let staging = this.readback.get(key);
      if (!staging) {
        staging = b.device.createBuffer({
          size: out.buffer.size,
          usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        });
        this.readback.set(key, staging);
      }
      enc.copyBufferToBuffer(out.buffer, 0, staging, 0, out.buffer.size);
      reads.push({ out, staging });
    }
    b.queue.submit([enc.finish()]);
    this.next = (index + 1) % this.segments.length;
    if (this.next !== 0) {
      // Encode the next segment while the GPU runs this one and the caller waits for its reads.
      const nextEnc = b.device.createCommandEncoder();
      encode(nextEnc, this.segments[this.next]);
      this.preEncoded = { index: this.next, enc: nextEnc };
    }
    const result: Record<string, Float32Array | Int32Array> = {};
    for (const { out, staging } of reads) {
      await staging.mapAsync(GPUMapMode.READ);
      const n = tf.util.sizeFromShape(out.shape);
      const range = staging.getMappedRange();
      result[out.key] =
        out.dtype === 'int32' || out.dtype === 'bool'
          ? new Int32Array(range.slice(0, n * 4))
          : new Float32Array(range.slice(0, n * 4));
      staging.unmap();
    }
    return result;
  }

  /** Abandons a replay between segments (the weights keep their values from before it). */
  cancel(): void {
    this.next = 0;
    this.preEncoded = undefined;
  }

  /** A new tensor holding a copy of output `key` as the last replay left it. */
  outputTensor(key: string): tf.Tensor {
    const out = this.p.outputs.find((o) => o.key === key);
    if (!out) throw new Error(`'${key}' is not an output of the captured step`);
    const b = this.p.backend;
    const info = b.makeTensorInfo(out.shape, out.dtype);
    b.uploadToGPU(info.dataId);
    const dst = b.tensorMap.get(info.dataId)?.resource as GPUBuffer;
    b.ensureCommandEncoderReady();
    b.endComputePassEncoder();
    (b.commandEncoder as GPUCommandEncoder).copyBufferToBuffer(
      out.buffer,
      0,
      dst,
      0,
      tf.util.sizeFromShape(out.shape) * 4,
    );
    return tf.engine().makeTensorFromTensorInfo(info);
  }

  /** Gives every buffer back (to another plan that uses it, else to tfjs's pool). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.p.claimants.delete(this);
    for (const [buffer, reuse] of this.p.owned) {
      if (!offerToClaimants(this.p.claimants, buffer, reuse))
        returnToPool(this.p.backend.bufferManager, buffer, reuse);
    }
    this.p.owned.clear();
    for (const i of this.p.inputs) i.slot.destroy();
    for (const s of this.readback.values()) s.destroy();
    this.readback.clear();
  }
}

/** Encodes recorded commands: one compute pass between copies, repeated state not set again. */
function encode(enc: GPUCommandEncoder, commands: StepCommand[]): void {
  let pass: GPUComputePassEncoder | undefined;
  let pipeline: GPUComputePipeline | undefined;
  let group: GPUBindGroup | undefined;
  for (const c of commands) {
    if (c.kind === 'dispatch') {
      if (!pass) {
        pass = enc.beginComputePass();
        pipeline = undefined;
        group = undefined;
      }
      if (c.pipeline !== pipeline) {
        pass.setPipeline(c.pipeline);
        pipeline = c.pipeline;
      }
      if (c.bindGroup !== group) {
        pass.setBindGroup(0, c.bindGroup);
        group = c.bindGroup;
      }
      pass.dispatchWorkgroups(c.workgroups[0], c.workgroups[1], c.workgroups[2]);
      continue;
    }
    if (pass) {
      pass.end();
      pass = undefined;
    }
    if (c.kind === 'copy') enc.copyBufferToBuffer(c.src, c.srcOffset, c.dst, c.dstOffset, c.size);
    else enc.clearBuffer(c.buffer, c.offset, c.size);
  }
  pass?.end();
}
