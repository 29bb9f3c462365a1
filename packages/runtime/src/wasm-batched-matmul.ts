import { BATCHED_MATMUL_WASM } from './wasm-batched-matmul.wasm';

/** C[t] = A[t] · B[t] in tfjs-wasm's memory (byte offsets; strides in elements, 0 repeats). */
export type BatchedMatMul = (
  a: number,
  b: number,
  c: number,
  batch: number,
  m: number,
  n: number,
  k: number,
  aStride: number,
  bStride: number,
) => void;

let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<WebAssembly.Memory, BatchedMatMul>();

/**
 * The SIMD kernel of assembly/batched-matmul.ts, instantiated over a tfjs-backend-wasm module's
 * own memory so that it reads and writes tensors where they are (1.4 KB, compiled synchronously).
 */
export function batchedMatMulIn(memory: WebAssembly.Memory): BatchedMatMul {
  let f = instances.get(memory);
  if (!f) {
    compiled ??= new WebAssembly.Module(Uint8Array.from(atob(BATCHED_MATMUL_WASM), (ch) => ch.charCodeAt(0)));
    const instance = new WebAssembly.Instance(compiled, { env: { memory } });
    f = instance.exports.batchedMatMul as BatchedMatMul;
    instances.set(memory, f);
  }
  return f;
}
