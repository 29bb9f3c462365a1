import { writeTar } from '@attnzoo/datasets';

/**
 * A model-release package as one tar (`readTar` in @attnzoo/datasets reads it back): the files
 * in path order, so the same files give the same bytes.
 */
export function tarFiles(files: Record<string, Uint8Array>, mtime = 0): Uint8Array {
  return writeTar(
    Object.keys(files)
      .sort()
      .map((path) => ({ path, bytes: files[path] })),
    mtime,
  );
}
