import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashFile } from './file-hash';

describe('hashFile', () => {
  it('gives the sha256, md5 and size of a file spanning several read chunks', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'attnzoo-download-hash-'));
    try {
      const body = Buffer.alloc((1 << 20) * 2 + 7);
      for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 255;
      await fs.writeFile(join(dir, 'f'), body);
      expect(await hashFile(join(dir, 'f'))).toEqual({
        sha256: createHash('sha256').update(body).digest('hex'),
        md5: createHash('md5').update(body).digest('hex'),
        bytes: body.length,
      });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
