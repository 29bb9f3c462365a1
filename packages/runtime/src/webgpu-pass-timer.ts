import type * as tfCore from '@tensorflow/tfjs-core';
import type { WebGPUBackendInternals } from './webgpu-dispatch';

interface TimedBackend extends WebGPUBackendInternals {
  dispatchCountInPass: number;
}

/**
 * GPU time of `work` run `reps` times, from timestamps written at the start and end of one compute
 * pass that holds all of its dispatches: what the kernels cost on the GPU, without the host's
 * per-dispatch cost (which a wall clock over small products measures instead). Only for work made
 * of attnzoo's raw dispatches (dispatchRaw with submit: false), which record into the open pass;
 * undefined where the device offers no timestamp queries.
 */
export async function timeRawDispatches(
  tf: typeof tfCore,
  work: () => void,
  reps: number,
): Promise<number | undefined> {
  const backend = tf.backend() as unknown as TimedBackend;
  const device = backend.device;
  if (!device.features.has('timestamp-query')) return undefined;
  backend.endComputePassEncoder();
  if (backend.commandEncoder) backend.submitQueue();
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 });
  const resolve = device.createBuffer({
    size: 16,
    usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
  });
  const read = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    backend.ensureCommandEncoderReady();
    const encoder = backend.commandEncoder as GPUCommandEncoder;
    backend.computePassEncoder = encoder.beginComputePass({
      timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
    });
    const pass = backend.computePassEncoder;
    for (let i = 0; i < reps; i++) work();
    if (backend.computePassEncoder !== pass)
      throw new Error(
        'timeRawDispatches: the work ended the timed pass (it ran a tfjs program or submitted)',
      );
    backend.endComputePassEncoder();
    encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
    encoder.copyBufferToBuffer(resolve, 0, read, 0, 16);
    backend.submitQueue();
    await read.mapAsync(GPUMapMode.READ);
    const [start, end] = new BigUint64Array(read.getMappedRange().slice(0));
    read.unmap();
    return Number(end - start) / 1e6 / reps;
  } finally {
    querySet.destroy();
    resolve.destroy();
    read.destroy();
  }
}
