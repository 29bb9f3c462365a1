import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'fflate';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const fashionDir = '/usr/share/datasets/fashion-mnist';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'attnzoo-datasets-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Builds a ustar archive in memory (for generated fixtures). */
export function makeTar(
  files: { path: string; data: Uint8Array | string; type?: string }[],
  opts: { end?: boolean } = {},
): Uint8Array {
  const enc = new TextEncoder();
  const blocks: Uint8Array[] = [];
  for (const f of files) {
    const data = typeof f.data === 'string' ? enc.encode(f.data) : f.data;
    const h = new Uint8Array(512);
    const put = (s: string, off: number, len: number) => h.set(enc.encode(s).subarray(0, len), off);
    put(f.path, 0, 100);
    put('0000644\0', 100, 8);
    put('0000000\0', 108, 8);
    put('0000000\0', 116, 8);
    put(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 12);
    put('00000000000\0', 136, 12);
    put(f.type ?? '0', 156, 1);
    put('ustar\0', 257, 6);
    put('00', 263, 2);
    for (let i = 148; i < 156; i++) h[i] = 32;
    let sum = 0;
    for (const b of h) sum += b;
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
    blocks.push(h);
    const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
    padded.set(data);
    blocks.push(padded);
  }
  if (opts.end !== false) blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((s, b) => s + b.length, 0));
  let o = 0;
  for (const b of blocks) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

export function makeTarGz(files: Parameters<typeof makeTar>[0]): Uint8Array {
  return gzipSync(makeTar(files));
}

/** IDX file with unsigned-byte payload. */
export function makeIdx(shape: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + data.length);
  const v = new DataView(out.buffer);
  out[2] = 8;
  out[3] = shape.length;
  for (let i = 0; i < shape.length; i++) v.setUint32(4 + 4 * i, shape[i], false);
  out.set(data, 4 + 4 * shape.length);
  return out;
}
