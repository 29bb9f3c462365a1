import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes `<name>.json` and `<name>.md` into dir atomically (temp file, then rename). */
export async function writeReport(
  dir: string,
  name: string,
  json: unknown,
  markdown: string,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [ext, text] of [
    ['json', `${JSON.stringify(json, null, 2)}\n`],
    ['md', `${markdown}\n`],
  ] as const) {
    const path = join(dir, `${name}.${ext}`);
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, text);
    await rename(tmp, path);
    written.push(path);
  }
  return written;
}
