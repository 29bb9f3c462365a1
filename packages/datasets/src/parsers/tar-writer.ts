/**
 * A minimal ustar writer: regular files only, paths ≤ 100 bytes (or split into prefix/name),
 * mode 0644, mtime given (default 0) so the same files give the same bytes. Enough to pack a
 * release folder (a model-release package) into one file; `readTar` reads it back.
 */
export function writeTar(files: { path: string; bytes: Uint8Array }[], mtime = 0): Uint8Array {
  const enc = new TextEncoder();
  const blocks: Uint8Array[] = [];
  for (const f of files) {
    const header = new Uint8Array(512);
    const path = f.path.replace(/\\/g, '/');
    if (path.startsWith('/') || path.split('/').includes('..')) throw new Error(`tar: unsafe path ${path}`);
    let name = path;
    let prefix = '';
    if (enc.encode(path).length > 100) {
      const cut = path.lastIndexOf('/', 155);
      if (cut < 0 || enc.encode(path.slice(cut + 1)).length > 100)
        throw new Error(`tar: path too long: ${path}`);
      prefix = path.slice(0, cut);
      name = path.slice(cut + 1);
    }
    const put = (text: string, at: number, len: number) => header.set(enc.encode(text).subarray(0, len), at);
    const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, '0');
    put(name, 0, 100);
    put(octal(0o644, 8), 100, 8);
    put(octal(0, 8), 108, 8);
    put(octal(0, 8), 116, 8);
    put(octal(f.bytes.length, 12), 124, 12);
    put(octal(mtime, 12), 136, 12);
    header.fill(0x20, 148, 156); // checksum field counts as spaces
    header[156] = 0x30; // '0': regular file
    put('ustar\u000000', 257, 8);
    put(prefix, 345, 155);
    let sum = 0;
    for (const b of header) sum += b;
    put(`${octal(sum, 7)}\u0000 `, 148, 8);
    blocks.push(header, f.bytes);
    const pad = (512 - (f.bytes.length % 512)) % 512;
    if (pad) blocks.push(new Uint8Array(pad));
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}
