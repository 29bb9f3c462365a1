/**
 * A minimal POSIX ustar writer (regular files and folders only), enough to ship a model-release
 * package as one file; `readTar` in @attnzoo/datasets reads it back.
 */
function header(name: string, size: number, type: '0' | '5', mtime: number): Uint8Array {
  const h = new Uint8Array(512);
  const enc = new TextEncoder();
  const put = (text: string, offset: number, length: number) => {
    const b = enc.encode(text);
    if (b.length > length) throw new Error(`tar: ${JSON.stringify(text)} does not fit ${length} bytes`);
    h.set(b, offset);
  };
  let path = name;
  let prefix = '';
  if (enc.encode(path).length > 100) {
    const cut = path.lastIndexOf('/', 154);
    if (cut < 0) throw new Error(`tar: path too long: ${name}`);
    prefix = path.slice(0, cut);
    path = path.slice(cut + 1);
  }
  put(path, 0, 100);
  const field = (n: number, offset: number, length: number) =>
    put(`${n.toString(8).padStart(length - 1, '0')}\0`, offset, length);
  field(type === '5' ? 0o755 : 0o644, 100, 8);
  field(0, 108, 8);
  field(0, 116, 8);
  field(size, 124, 12);
  field(mtime, 136, 12);
  h.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  put(type, 156, 1);
  put('ustar\u000000', 257, 8);
  put(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

/** A tar archive of `files` (paths with '/' separators); parent folders get their own entries. */
export function tarFiles(
  files: Record<string, Uint8Array>,
  mtime = Math.floor(Date.now() / 1000),
): Uint8Array {
  const parts: Uint8Array[] = [];
  const folders = new Set<string>();
  for (const name of Object.keys(files).sort()) {
    const segments = name.split('/');
    for (let i = 1; i < segments.length; i++) {
      const dir = `${segments.slice(0, i).join('/')}/`;
      if (!folders.has(dir)) {
        folders.add(dir);
        parts.push(header(dir, 0, '5', mtime));
      }
    }
    const body = files[name];
    parts.push(header(name, body.length, '0', mtime), body);
    const pad = (512 - (body.length % 512)) % 512;
    if (pad) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(1024));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
