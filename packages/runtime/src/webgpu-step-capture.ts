import * as tf from '@tensorflow/tfjs-core';
import { type StepHooks, setActiveStepHooks } from './step-hooks';
import {
  account,
  type BufferClaimant,
  type BufferManagerInternals,
  bufferHold,
  offerToClaimants,
  returnToPool,
  takeFromPool,
  unaccount,
} from './webgpu-buffer-hold';
import type { WebGPUBackendInternals } from './webgpu-dispatch';
import {
  type PlanInput,
  type PlanOutput,
  type PlanVariable,
  type StepCommand,
  StepPlan,
} from './webgpu-step-plan';

interface TensorData {
  resource: GPUBuffer | null;
  values: ArrayLike<number> | null;
  dtype: tf.DataType;
  shape: number[];
  /** Tensors sharing this buffer (tf.clone shares it). */
  refCount: number;
}

/** tfjs-backend-webgpu 4.22 internals the capture reads or wraps. */
export interface CaptureBackend extends WebGPUBackendInternals {
  bufferManager: BufferManagerInternals;
  tensorMap: { get(dataId: object): TensorData | undefined };
}

interface Upload {
  bytes: Uint8Array;
  input?: string;
  dataId: object;
}

type Recorded = StepCommand & { upload?: Upload };

/** A property of a Dawn object replaced for the capture, and how to put it back. */
interface Patch {
  target: object;
  name: string;
  own: PropertyDescriptor | undefined;
}

let nextPipelineId = 1;
const pipelineIds = new WeakMap<object, number>();
function pipelineId(p: object): number {
  let id = pipelineIds.get(p);
  if (id === undefined) {
    id = nextPipelineId++;
    pipelineIds.set(p, id);
  }
  return id;
}

/** FNV-1a over bytes: the signature compares uploaded constants of two captures. */
function hashBytes(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h;
}

function bytesOf(values: ArrayLike<number>, dtype: tf.DataType): Uint8Array {
  const typed = dtype === 'int32' || dtype === 'bool' ? Int32Array.from(values) : Float32Array.from(values);
  return new Uint8Array(typed.buffer);
}

export interface CaptureResult {
  plan?: StepPlan;
  /** Why the step cannot be replayed (the plan is then absent). */
  reason?: string;
  /** The reason may pass (a snapshot of the weights still alive): capture a later step. */
  retry?: boolean;
}

/**
 * Records what one eager training step sends to the GPU: every dispatch (pipeline, bind group,
 * workgroups), copy and upload, the uniform words that hold random seeds, and the tensors marked as
 * inputs. The step runs normally while recorded; `finish` turns the record into a StepPlan.
 *
 * What makes the record replayable:
 * - every upload goes through a staging buffer and a recorded copy (tfjs otherwise writes a freshly
 *   created buffer through its mapping, which leaves no command to replay);
 * - buffers that existed before the step, uniform and staging buffers are not reused inside the
 *   step (the first hold a step's inputs and weights, the others their contents never change);
 * - the other buffers are reused inside the step as tfjs likes (the replay keeps their order), but
 *   none goes back to tfjs's pool afterwards.
 */
export class StepCapture implements StepHooks, BufferClaimant {
  readonly first = true;
  private readonly commands: Recorded[] = [];
  private readonly marks: number[] = [];
  private readonly writes: { buffer: GPUBuffer; offset: number; bytes: Uint8Array }[] = [];
  private readonly seedUniforms: { buffer: GPUBuffer; offset: number; seed: number }[] = [];
  private readonly draws: number[] = [];
  private readonly inputTensors = new Map<string, tf.Tensor>();
  private readonly inputByDataId = new Map<object, string>();
  private readonly acquired = new Set<GPUBuffer>();
  /** Buffers tfjs released during the capture and the capture kept, with tfjs's reuse flag. */
  private readonly held = new Map<GPUBuffer, boolean>();
  private readonly bindGroupBuffers = new WeakMap<object, GPUBuffer[]>();
  private readonly variablesBefore = new Map<tf.Variable, { dataId: object; buffer: GPUBuffer }>();
  private readonly patches: Patch[] = [];
  private pendingUpload: Upload | undefined;
  private cpuForward: boolean | undefined;
  private failure: string | undefined;
  private open = true;

  constructor(
    private readonly backend: CaptureBackend,
    private readonly claimants: Set<BufferClaimant>,
  ) {}

  /**
   * Starts recording on the current webgpu backend. `inputs` are the step's inputs that exist
   * before it (the batch): they are put on the GPU first, so that every capture finds them there
   * whether the data source made them on the CPU or the GPU, or reuses them.
   */
  static begin(inputs: Record<string, tf.Tensor> = {}): StepCapture {
    const backend = tf.engine().backend as unknown as CaptureBackend;
    if (tf.getBackend() !== 'webgpu' || !backend.bufferManager || !backend.tensorMap) {
      throw new Error(`step capture needs the webgpu backend, not ${tf.getBackend()}`);
    }
    const claimants = bufferHold(backend.bufferManager);
    for (const c of claimants) {
      if (c instanceof StepCapture)
        throw new Error('a step capture is already running: finish or abort it first');
    }
    const capture = new StepCapture(backend, claimants);
    capture.start(inputs);
    return capture;
  }

  private start(inputs: Record<string, tf.Tensor>): void {
    const b = this.backend;
    // Weights still on the CPU would be uploaded inside the step and replayed as constants.
    for (const v of Object.values(tf.engine().state.registeredVariables)) {
      if (!v.isDisposed) b.uploadToGPU(v.dataId);
    }
    for (const [key, t] of Object.entries(inputs)) {
      b.uploadToGPU(t.dataId);
      this.input(key, t);
    }
    this.flush();
    for (const v of Object.values(tf.engine().state.registeredVariables)) {
      const buffer = b.tensorMap.get(v.dataId)?.resource;
      if (buffer) this.variablesBefore.set(v, { dataId: v.dataId, buffer });
    }
    this.claimants.add(this);
    setActiveStepHooks(this);
    // tfjs computes small ops on CPU-held tensors in JavaScript and uploads the result: that
    // upload would be replayed as a constant. Inside a capture every op runs on the GPU.
    this.cpuForward = tf.env().getBool('WEBGPU_CPU_FORWARD');
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    this.wrap();
  }

  private flush(): void {
    const b = this.backend;
    if (b.commandEncoder) {
      b.endComputePassEncoder();
      b.submitQueue();
    }
  }

  private fail(reason: string): void {
    this.failure ??= reason;
  }

  // StepHooks
  input(key: string, tensor: tf.Tensor): void {
    if (this.inputTensors.has(key) && this.inputTensors.get(key) !== tensor) {
      this.fail(`two tensors were marked as step input '${key}'`);
    }
    this.inputTensors.set(key, tensor);
    this.inputByDataId.set(tensor.dataId, key);
  }

  draw(seed: number): void {
    this.draws.push(seed);
  }

  seedUniform(buffer: GPUBuffer, byteOffset: number, seed: number): void {
    this.seedUniforms.push({ buffer, offset: byteOffset, seed });
  }

  /** Splits the step: the replay can submit and read back between segments (the loss before the update). */
  mark(): void {
    this.marks.push(this.commands.length);
  }

  // BufferClaimant: keep what was there before the step, uniforms and staging buffers.
  claim(buffer: GPUBuffer, reuse: boolean): boolean {
    const keep =
      !this.acquired.has(buffer) ||
      (buffer.usage & (GPUBufferUsage.UNIFORM | GPUBufferUsage.MAP_WRITE)) !== 0;
    if (keep) this.held.set(buffer, reuse);
    return keep;
  }

  private patch<T extends object>(target: T, name: keyof T & string, fn: unknown): void {
    this.patches.push({ target, name, own: Object.getOwnPropertyDescriptor(target, name) });
    Object.defineProperty(target, name, { value: fn, configurable: true, writable: true });
  }

  private wrap(): void {
    const b = this.backend;
    const device = b.device;
    const bm = b.bufferManager;

    const acquire = bm.acquireBuffer;
    this.patch(bm, 'acquireBuffer', (size: number, usage: number, mapped = false, reuse = true) => {
      // Storage buffers created mapped are written through the mapping, invisible to a replay.
      const viaStaging = mapped && (usage & (GPUBufferUsage.MAP_WRITE | GPUBufferUsage.MAP_READ)) === 0;
      const buffer = acquire.call(bm, size, usage, viaStaging ? false : mapped, reuse);
      this.acquired.add(buffer);
      return buffer;
    });

    const upload = b.uploadToGPU;
    this.patch(b, 'uploadToGPU', (dataId: object) => {
      const data = b.tensorMap.get(dataId);
      if (data && data.resource == null && data.values) {
        this.pendingUpload = {
          dataId,
          bytes: bytesOf(data.values, data.dtype),
          input: this.inputByDataId.get(dataId),
        };
      }
      try {
        upload.call(b, dataId);
        if (this.pendingUpload) this.fail('an upload wrote a mapped buffer without a copy command');
      } finally {
        this.pendingUpload = undefined;
      }
    });

    const createBindGroup = device.createBindGroup;
    this.patch(device, 'createBindGroup', (desc: GPUBindGroupDescriptor) => {
      const group = createBindGroup.call(device, desc);
      const buffers: GPUBuffer[] = [];
      for (const e of desc.entries) {
        const r = e.resource as GPUBufferBinding | GPUBuffer;
        const buffer = (r as GPUBufferBinding).buffer ?? r;
        if (buffer instanceof GPUBuffer) buffers.push(buffer);
        else this.fail('a bind group holds a texture or sampler');
      }
      this.bindGroupBuffers.set(group, buffers);
      return group;
    });

    const queue = b.queue;
    const writeBuffer = queue.writeBuffer;
    this.patch(
      queue,
      'writeBuffer',
      (buffer: GPUBuffer, offset: number, data: BufferSource, dataOffset = 0, size?: number) => {
        if ((buffer.usage & GPUBufferUsage.UNIFORM) === 0)
          this.fail('queue.writeBuffer into a storage buffer');
        const view =
          data instanceof ArrayBuffer
            ? new Uint8Array(data)
            : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        const elem =
          data instanceof ArrayBuffer || data instanceof DataView
            ? 1
            : (data as Uint8Array).BYTES_PER_ELEMENT;
        const start = dataOffset * elem;
        const bytes = view.slice(start, size === undefined ? undefined : start + size * elem);
        this.writes.push({ buffer, offset, bytes });
        return (writeBuffer as (...a: unknown[]) => void).call(queue, buffer, offset, data, dataOffset, size);
      },
    );

    const createCommandEncoder = device.createCommandEncoder;
    this.patch(device, 'createCommandEncoder', (desc?: GPUCommandEncoderDescriptor) =>
      this.recordingEncoder(createCommandEncoder.call(device, desc)),
    );
  }

  /** A command encoder that records what tfjs and attnzoo's kernels encode and passes it on. */
  private recordingEncoder(real: GPUCommandEncoder): GPUCommandEncoder {
    const self = this;
    const encoder = {
      label: real.label,
      copyBufferToBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number) {
        // Copies into mappable-for-reading buffers are reads (tensor.data()); a replay reads its own way.
        if ((dst.usage & GPUBufferUsage.MAP_READ) === 0) {
          self.commands.push({
            kind: 'copy',
            src,
            srcOffset,
            dst,
            dstOffset,
            size,
            upload: self.pendingUpload,
          });
          self.pendingUpload = undefined;
        }
        real.copyBufferToBuffer(src, srcOffset, dst, dstOffset, size);
      },
      clearBuffer(buffer: GPUBuffer, offset = 0, size?: number) {
        self.commands.push({ kind: 'clear', buffer, offset, size: size ?? buffer.size - offset });
        real.clearBuffer(buffer, offset, size);
      },
      beginComputePass(desc?: GPUComputePassDescriptor) {
        if (desc?.timestampWrites) self.fail('timestamp queries (tf.time or a profiler) ran during the step');
        const pass = real.beginComputePass(desc);
        let pipeline: GPUComputePipeline | undefined;
        let bindGroup: GPUBindGroup | undefined;
        return {
          label: pass.label,
          setPipeline(p: GPUComputePipeline) {
            pipeline = p;
            pass.setPipeline(p);
          },
          setBindGroup(index: number, group: GPUBindGroup, ...rest: unknown[]) {
            if (index !== 0 || (rest.length > 0 && (rest[0] as unknown[]).length > 0))
              self.fail('a dispatch uses bind group slots other than 0');
            bindGroup = group;
            (pass.setBindGroup as (...a: unknown[]) => void)(index, group, ...rest);
          },
          dispatchWorkgroups(x: number, y = 1, z = 1) {
            if (!pipeline || !bindGroup) self.fail('a dispatch without a pipeline or bind group');
            else self.commands.push({ kind: 'dispatch', pipeline, bindGroup, workgroups: [x, y, z] });
            pass.dispatchWorkgroups(x, y, z);
          },
          dispatchWorkgroupsIndirect(...a: unknown[]) {
            self.fail('an indirect dispatch');
            (pass.dispatchWorkgroupsIndirect as (...a: unknown[]) => void)(...a);
          },
          end() {
            pass.end();
          },
        };
      },
      resolveQuerySet(...a: unknown[]) {
        self.fail('timestamp queries (tf.time or a profiler) ran during the step');
        (real.resolveQuerySet as (...a: unknown[]) => void)(...a);
      },
      finish(desc?: GPUCommandBufferDescriptor) {
        return real.finish(desc);
      },
    };
    return encoder as unknown as GPUCommandEncoder;
  }

  private unwrap(): void {
    for (const p of this.patches.reverse()) {
      if (p.own) Object.defineProperty(p.target, p.name, p.own);
      else delete (p.target as Record<string, unknown>)[p.name];
    }
    this.patches.length = 0;
  }

  /** Ends the capture without a plan, giving back every buffer it kept. */
  abort(): void {
    if (!this.open) return;
    this.close();
    for (const [buffer, reuse] of this.held) this.giveBack(buffer, reuse);
    this.held.clear();
  }

  private close(): void {
    this.flush();
    this.unwrap();
    if (this.cpuForward !== undefined) tf.env().set('WEBGPU_CPU_FORWARD', this.cpuForward);
    setActiveStepHooks(undefined);
    this.claimants.delete(this);
    this.open = false;
  }

  /** A buffer the capture kept and does not need: to a plan that uses it, else back to tfjs. */
  private giveBack(buffer: GPUBuffer, reuse: boolean): void {
    if (!offerToClaimants(this.claimants, buffer, reuse))
      returnToPool(this.backend.bufferManager, buffer, reuse);
  }

  /**
   * Ends the capture after the step ran. `outputs` are tensors of the step a replay reads back
   * (the loss, the predictions); they must still be alive.
   */
  finish(outputs: Record<string, tf.Tensor> = {}): CaptureResult {
    if (!this.open) throw new Error('the step capture has already ended');
    this.close();
    const b = this.backend;
    const bm = b.bufferManager;
    const keep = new Set<GPUBuffer>();
    const fail = (reason: string): CaptureResult => {
      for (const [buffer, reuse] of this.held) if (!keep.has(buffer)) this.giveBack(buffer, reuse);
      this.held.clear();
      return { reason };
    };
    if (this.failure) return fail(this.failure);
    if (this.commands.length === 0) return fail('the step sent no work to the GPU');

    // Inputs: the copy from the capture's staging buffer becomes a copy from the input's own slot.
    const inputs: PlanInput[] = [];
    const commands: StepCommand[] = this.commands.map((c) => ({ ...c }));
    const prepend: StepCommand[] = [];
    for (const [key, tensor] of this.inputTensors) {
      const size = tensor.size * 4;
      const slot = b.device.createBuffer({
        size: Math.max(16, Math.ceil(size / 16) * 16),
        usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
        label: `step input ${key}`,
      });
      const input: PlanInput = { key, slot, size, shape: [...tensor.shape], dtype: tensor.dtype };
      inputs.push(input);
      let found = false;
      this.commands.forEach((c, i) => {
        if (c.kind === 'copy' && c.upload?.input === key) {
          commands[i] = {
            kind: 'copy',
            src: slot,
            srcOffset: 0,
            dst: c.dst,
            dstOffset: c.dstOffset,
            size: c.size,
          };
          found = true;
        }
      });
      if (found) continue;
      const buffer = tensor.isDisposed ? null : b.tensorMap.get(tensor.dataId)?.resource;
      if (!buffer) {
        slot.destroy();
        return fail(`step input '${key}' was neither uploaded during the step nor on the GPU at its end`);
      }
      if (this.acquired.has(buffer)) {
        slot.destroy();
        return fail(`step input '${key}' was computed during the step; mark the tensor the step starts from`);
      }
      prepend.push({ kind: 'copy', src: slot, srcOffset: 0, dst: buffer, dstOffset: 0, size });
    }
    commands.unshift(...prepend);
    const marks = this.marks.map((m) => m + prepend.length);

    // Weights: the step assigned new tensors to them. The variables go back to the buffers they had
    // (so every plan reads and writes weights in the same place); the new buffers become the plan's
    // scratch, copied into the weights at the end of each replay.
    const variables: PlanVariable[] = [];
    const tail: StepCommand[] = [];
    const rebind: { dataId: object; from: GPUBuffer; to: GPUBuffer }[] = [];
    const touched = new Set<GPUBuffer>();
    for (const c of commands) {
      if (c.kind === 'dispatch') for (const x of this.bindGroupBuffers.get(c.bindGroup) ?? []) touched.add(x);
      else if (c.kind === 'copy') {
        touched.add(c.src);
        touched.add(c.dst);
      } else if (c.kind === 'clear') touched.add(c.buffer);
    }
    for (const [variable, before] of this.variablesBefore) {
      if (variable.isDisposed) continue;
      const now = b.tensorMap.get(variable.dataId)?.resource;
      if (!now) continue;
      if (variable.dataId === before.dataId) {
        if (touched.has(before.buffer)) variables.push({ variable, buffer: before.buffer });
        continue;
      }
      if (!this.held.has(before.buffer)) {
        // A clone of the weights (a snapshot) taken before this step: the next step's capture
        // starts from buffers only the weights hold.
        return {
          ...fail(`the previous value of weight '${variable.name}' is still held by another tensor`),
          retry: true,
        };
      }
      tail.push({
        kind: 'copy',
        src: now,
        srcOffset: 0,
        dst: before.buffer,
        dstOffset: 0,
        size: Math.min(now.size, before.buffer.size),
      });
      rebind.push({ dataId: variable.dataId, from: now, to: before.buffer });
      variables.push({ variable, buffer: before.buffer });
      touched.add(before.buffer);
      touched.add(now);
    }
    for (const c of tail) commands.push(c);

    // Outputs, read back by the replay.
    const planOutputs: PlanOutput[] = [];
    for (const [key, t] of Object.entries(outputs)) {
      const buffer = t.isDisposed ? null : b.tensorMap.get(t.dataId)?.resource;
      if (!buffer || !touched.has(buffer))
        return fail(`step output '${key}' is not a tensor the step computed`);
      planOutputs.push({ key, buffer, shape: [...t.shape], dtype: t.dtype });
    }

    // Seeds: each seed word in a uniform buffer is the value of one draw of this step.
    const drawIndex = new Map<number, number>();
    for (let i = 0; i < this.draws.length; i++) {
      if (drawIndex.has(this.draws[i])) return fail('two random seeds of the step were equal');
      drawIndex.set(this.draws[i], i);
    }
    const seeds: { buffer: GPUBuffer; offset: number; draw: number }[] = [];
    for (const s of this.seedUniforms) {
      const draw = drawIndex.get(s.seed);
      if (draw === undefined) return fail('a kernel used a seed that was not drawn with drawSeed');
      seeds.push({ buffer: s.buffer, offset: s.offset, draw });
    }

    // Ownership: the capture's kept buffers that the step touched, and touched buffers tfjs has in
    // its pool, now belong to the plan; those still held by tensors (outputs, gradients, the
    // variables' new values) are claimed when released.
    const owned = new Map<GPUBuffer, boolean>();
    for (const buffer of touched) {
      if (this.held.has(buffer)) {
        owned.set(buffer, this.held.get(buffer) as boolean);
        keep.add(buffer);
      } else if (takeFromPool(bm, buffer)) owned.set(buffer, true);
    }
    for (const [buffer, reuse] of this.held) if (!keep.has(buffer)) this.giveBack(buffer, reuse);
    this.held.clear();

    // The variables' values now sit in the new buffers: copy them back and point the variables
    // there. Only then hand the plan over.
    const enc = b.device.createCommandEncoder();
    for (const c of tail) if (c.kind === 'copy') enc.copyBufferToBuffer(c.src, 0, c.dst, 0, c.size);
    b.queue.submit([enc.finish()]);
    for (const r of rebind) {
      const data = b.tensorMap.get(r.dataId) as TensorData;
      data.resource = r.to;
      owned.delete(r.to);
      account(bm, r.to);
      unaccount(bm, r.from);
      owned.set(r.from, true);
    }
    // Buffers the step wrote that tensors other than the weights still hold when the capture ends:
    // a replay may run only once they are released (to the plan).
    const stillHeld = new Set<GPUBuffer>();
    for (const buffer of touched) {
      if (!owned.has(buffer) && this.acquired.has(buffer) && !variables.some((v) => v.buffer === buffer)) {
        stillHeld.add(buffer);
      }
    }

    const signature = this.signature(inputs.map((i) => i.key));
    const plan = new StepPlan({
      backend: b,
      claimants: this.claimants,
      commands,
      marks,
      inputs,
      outputs: planOutputs,
      variables,
      seeds,
      draws: this.draws.length,
      owned,
      touched,
      stillHeld,
      signature,
    });
    return { plan };
  }

  /**
   * What two captures of the same step must share, one entry per command or uniform write:
   * kernels, sizes, uploaded constants and uniform words (seeds masked), in order.
   */
  private signature(inputKeys: string[]): string[] {
    const seedAt = new Map<GPUBuffer, number[]>();
    for (const s of this.seedUniforms) seedAt.set(s.buffer, [...(seedAt.get(s.buffer) ?? []), s.offset]);
    const parts: string[] = [
      `inputs ${inputKeys.join(',')}`,
      `${this.draws.length} seeds`,
      `segments at ${this.marks.join(',')}`,
    ];
    let n = 0;
    for (const c of this.commands) {
      n += 1;
      if (c.kind === 'dispatch') {
        parts.push(
          `command ${n}: dispatch of pipeline ${pipelineId(c.pipeline)} ${c.pipeline.label ? `(${c.pipeline.label}) ` : ''}on ${c.workgroups.join('x')} workgroups`,
        );
      } else if (c.kind === 'copy') {
        const what = !c.upload ? 'copy' : c.upload.input ? `upload of input ${c.upload.input}` : 'upload';
        const values = c.upload && !c.upload.input ? ` holding ${describeBytes(c.upload.bytes)}` : '';
        parts.push(`command ${n}: ${what} of ${c.size} bytes${values}`);
      } else parts.push(`command ${n}: clear of ${c.size} bytes`);
    }
    this.writes.forEach((w, i) => {
      const bytes = w.bytes.slice();
      for (const off of seedAt.get(w.buffer) ?? []) bytes.fill(0, off - w.offset, off - w.offset + 4);
      parts.push(`uniform write ${i + 1} of ${bytes.length} bytes holding ${describeBytes(bytes)}`);
    });
    return parts;
  }
}

/** A short, comparable description of bytes: a hash and the first words as float32 and int32. */
function describeBytes(bytes: Uint8Array): string {
  const words = Math.min(4, Math.floor(bytes.length / 4));
  const copy = bytes.slice(0, words * 4);
  const f = Array.from(new Float32Array(copy.buffer), (x) => Number(x.toPrecision(5)));
  const i = Array.from(new Int32Array(copy.buffer));
  return `#${hashBytes(bytes).toString(16)} (float32 ${f.join(' ')}${words * 4 < bytes.length ? ' …' : ''}; int32 ${i.join(' ')})`;
}
