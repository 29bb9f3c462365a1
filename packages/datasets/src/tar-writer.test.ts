import { describe, expect, it } from 'vitest';
import { readTar, writeTar } from './index';

describe('writeTar', () => {
  it('writes what readTar reads back, long paths (ustar prefix) included, byte-for-byte stable', async () => {
    const long = `${'deep/'.repeat(25)}weights.bin`; // 136 bytes: split into prefix + name
    const files = [
      { path: 'pkg/package.json', bytes: new TextEncoder().encode('{"name":"x"}') },
      { path: long, bytes: Uint8Array.from({ length: 1500 }, (_, i) => i % 251) },
      { path: 'pkg/empty', bytes: new Uint8Array(0) },
    ];
    const tar = writeTar(files);
    expect(tar.length % 512).toBe(0);
    expect(writeTar(files)).toEqual(tar);
    const seen = new Map<string, Uint8Array>();
    for await (const entry of readTar([tar])) seen.set(entry.path, await entry.bytes());
    expect([...seen.keys()]).toEqual(files.map((f) => f.path));
    for (const f of files) expect(seen.get(f.path)).toEqual(f.bytes);
  });

  it('refuses paths that would escape the folder it is unpacked into', () => {
    const bytes = new Uint8Array(1);
    expect(() => writeTar([{ path: '/etc/passwd', bytes }])).toThrow('tar: unsafe path /etc/passwd');
    expect(() => writeTar([{ path: 'a/../../b', bytes }])).toThrow('tar: unsafe path a/../../b');
  });
});
