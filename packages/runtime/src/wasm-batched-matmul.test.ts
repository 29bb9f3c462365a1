import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without types (the kernels' build step).
import { compileKernel, KERNELS } from '../assembly/compile.mjs';
import { BATCHED_MATMUL_WASM } from './wasm-batched-matmul.wasm';

/** Section ids of a wasm binary (after the 8-byte header: id, LEB128 size, payload). */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let i = 8;
  while (i < bytes.length) {
    ids.push(bytes[i++]);
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[i++];
      size |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    i += size;
  }
  return ids;
}

describe('the batched matmul kernel', () => {
  const committed = Uint8Array.from(atob(BATCHED_MATMUL_WASM), (c) => c.charCodeAt(0));

  it('is the compiled AssemblyScript source (run `node assembly/compile.mjs` after editing it)', async () => {
    const kernel = KERNELS.find((k: { name: string }) => k.name === 'BATCHED_MATMUL_WASM');
    const fresh: Uint8Array = await compileKernel(kernel.source);
    expect(Buffer.from(fresh).toString('base64')).toBe(BATCHED_MATMUL_WASM);
  });

  it("imports only the host's memory and owns no data it could write into tfjs's heap", () => {
    const module = new WebAssembly.Module(committed);
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    expect(sectionIds(committed)).not.toContain(11); // data
    expect(sectionIds(committed)).not.toContain(8); // start function
  });

  it('multiplies small batched matrices like a reference loop (every block edge)', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(committed), { env: { memory } });
    const f = instance.exports.batchedMatMul as (...args: number[]) => void;
    for (const [batch, m, n, k] of [
      [1, 4, 8, 3],
      [2, 5, 9, 4],
      [3, 7, 13, 1],
      [1, 1, 1, 5],
    ]) {
      const heap = new Float32Array(memory.buffer);
      const a = 0;
      const b = batch * m * k;
      const c = b + batch * k * n;
      for (let i = 0; i < c; i++) heap[i] = Math.sin(i + 1);
      heap.fill(Number.NaN, c, c + batch * m * n + 4);
      f(a * 4, b * 4, c * 4, batch, m, n, k, m * k, k * n);
      for (let t = 0; t < batch; t++)
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++)
              s += heap[a + t * m * k + i * k + p] * heap[b + t * k * n + p * n + j];
            expect(heap[c + t * m * n + i * n + j]).toBeCloseTo(s, 5);
          }
      // nothing past the output
      for (let i = c + batch * m * n; i < c + batch * m * n + 4; i++) expect(heap[i]).toBeNaN();
    }
  });
});
