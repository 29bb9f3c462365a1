// Holds 2 GiB on whichever GPU Dawn picks for 8 s and prints the adapter: run it under gpu.sh N
// while nvidia-smi reports memory per GPU to see whether the isolation took.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) {
  console.log('NO-ADAPTER');
  process.exit(3);
}
const device = await adapter.requestDevice({
  requiredLimits: { maxBufferSize: adapter.limits.maxBufferSize },
});
const buffer = device.createBuffer({
  size: 2 ** 31,
  usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
});
device.queue.writeBuffer(buffer, 2 ** 31 - 16, new Float32Array(4));
await device.queue.onSubmittedWorkDone();
console.log(`ADAPTER ${adapter.info.vendor} ${adapter.info.architecture} ${adapter.info.description}`);
await new Promise((r) => setTimeout(r, 8000));
buffer.destroy();
