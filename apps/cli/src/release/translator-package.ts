import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { safeEntryPath } from '@attnzoo/datasets';
import { archiveEntries } from '@attnzoo/datasets/node';

/** package.json of a model-release package (installable on its own; needs the library as a peer). */
export function releasePackageJson(preset: string, version: string, description: string): string {
  return `${JSON.stringify(
    {
      name: `@attnzoo/model-${preset}`,
      version,
      description,
      license: 'CC-BY-2.0',
      files: ['preset', 'README.md'],
      attnzoo: { preset: 'preset' },
      peerDependencies: { '@attnzoo/seq2seq-translator': '^0.1.0' },
      publishConfig: { access: 'public' },
    },
    null,
    2,
  )}\n`;
}

/** Unpacks a release tar (entries `<preset>/...`) into `into/`, replacing an existing folder of that name. */
export async function unpackRelease(tarPath: string, into: string): Promise<string[]> {
  const files: { path: string; bytes: Uint8Array }[] = [];
  for await (const e of (await archiveEntries(tarPath)) as AsyncIterable<{
    path: string;
    bytes(): Promise<Uint8Array>;
  }>) {
    files.push({ path: safeEntryPath(e.path, tarPath), bytes: await e.bytes() });
  }
  const tops = [...new Set(files.map((f) => f.path.split('/')[0]))];
  if (tops.length !== 1 || !/^translator-[a-z0-9-]+$/.test(tops[0])) {
    throw new Error(
      `${tarPath} should hold one folder translator-*; it holds ${tops.join(', ') || 'nothing'}.`,
    );
  }
  const target = join(into, tops[0]);
  if (existsSync(target)) await fs.rm(target, { recursive: true });
  for (const f of files) {
    const dest = join(into, ...f.path.split('/'));
    await fs.mkdir(join(dest, '..'), { recursive: true });
    await fs.writeFile(dest, f.bytes);
  }
  return files.map((f) => f.path);
}
