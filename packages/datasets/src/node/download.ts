import { rename, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { DownloadError, downloadVerified, ownTemp, sweepDeadPartials } from '@attnzoo/download';
import { DatasetError } from '../errors';
import { datasetLimits } from '../limits';

/** The suffix of this package's resumable leftovers (`<file>.part`), kept so older caches resume. */
const PART = '.part';

export interface DownloadProgress {
  file: string;
  url: string;
  received: number;
  total: number | null;
  /** Bytes already on disk when this attempt started (a resumed download). */
  resumedFrom: number;
}

export interface DownloadOptions {
  sha256?: string | null;
  md5?: string | null;
  size?: number | null;
  onProgress?: (p: DownloadProgress) => void;
  /** Draw a progress bar on stderr when it is a TTY (default true). */
  progressBar?: boolean;
  /** Attempts per URL after a dropped connection, each resuming with an HTTP Range request (default 4). */
  retries?: number;
  /** Milliseconds without data before an attempt is abandoned and resumed (default 30 000). */
  idleTimeoutMs?: number;
}

export interface DownloadResult {
  path: string;
  sha256: string;
  md5: string;
  bytes: number;
}

function fmt(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

function progressBar(name: string): (p: DownloadProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 100 && p.received !== p.total) return;
    last = now;
    const w = 30;
    const frac = p.total ? Math.min(1, p.received / p.total) : 0;
    const bar = p.total ? '#'.repeat(Math.round(frac * w)).padEnd(w, ' ') : '?'.repeat(w);
    const pct = p.total ? `${(frac * 100).toFixed(0).padStart(3)}%` : '   ?';
    process.stderr.write(
      `\r${name} [${bar}] ${pct} ${fmt(p.received)}${p.total ? ` / ${fmt(p.total)}` : ''}`,
    );
    if (p.total && p.received >= p.total) process.stderr.write('\n');
  };
}

/** The DatasetError a failed download of `name` ends in, in this package's words. */
function datasetDownloadError(error: unknown, name: string, dest: string, maxBytes: number): unknown {
  if (!(error instanceof DownloadError)) return error;
  switch (error.kind) {
    case 'too-large':
      return new DatasetError(
        'TOO_LARGE',
        `GET ${error.url} ${error.announced ? 'announces' : 'sent'} ${error.received} bytes, over the ${maxBytes} bytes expected for ${name}: ` +
          'the server is not serving this file; nothing was kept (raise setDatasetLimits({ maxDownloadBytes }) if the file is genuinely larger)',
      );
    case 'write': {
      const e = error.cause as NodeJS.ErrnoException;
      return new DatasetError(
        'WRITE_FAILED',
        `cannot write ${error.path} (${e.message}): ${e.code === 'ENOSPC' || e.code === 'EDQUOT' ? 'free disk space' : 'make the cache folder writable'} ` +
          'or point ATTNZOO_CACHE (cacheDir) at another folder, then run again; the bytes received so far are kept and the download resumes from there',
        { cause: e },
      );
    }
    case 'checksum':
      return new DatasetError(
        'CHECKSUM_MISMATCH',
        `checksum mismatch for ${name}: expected ${error.algorithm} ${error.expected}, got ${error.actual}; the file was removed from the cache, download again or pass --source`,
      );
    default: {
      const failures = (error.failures ?? [error]).map((f) =>
        f.kind === 'unsafe-url' && f.reason === 'downgrade'
          ? `${f.message}; download the file yourself and pass --source`
          : f.message,
      );
      return new DatasetError(
        'DOWNLOAD_FAILED',
        `could not download ${name} (${failures.join('; ')}); the partial file ${dest}${PART} is kept and will be resumed next time, or pass a local source (--source)`,
        { cause: error },
      );
    }
  }
}

/**
 * Downloads `urls` (mirrors, in order) to `dest`: bytes go to `dest + '.part'`, a dropped connection is
 * resumed with an HTTP Range request (also across runs), and the file is renamed to `dest` only after its
 * checksum matches. On a mismatch the partial file is deleted and a CHECKSUM_MISMATCH error thrown.
 */
export async function downloadFile(
  urls: string[],
  dest: string,
  opts: DownloadOptions = {},
): Promise<DownloadResult> {
  const name = basename(dest);
  if (urls.length === 0)
    throw new DatasetError('DOWNLOAD_FAILED', `${name} has no download URL; pass a local source (--source)`);
  await sweepDeadPartials(dirname(dest), PART);
  const bar = opts.progressBar !== false && process.stderr.isTTY ? progressBar(name) : null;
  const maxBytes = opts.size ?? datasetLimits().maxDownloadBytes;
  let h: Awaited<ReturnType<typeof downloadVerified>>;
  try {
    h = await downloadVerified({
      urls,
      dest,
      suffix: PART,
      // some data sets are served over plain http only; https may still not be traded for it
      policy: { plainHttp: 'no-downgrade' },
      maxBytes,
      sha256: opts.sha256,
      md5: opts.md5,
      retries: opts.retries ?? 4,
      idleTimeoutMs: opts.idleTimeoutMs ?? 30_000,
      headers: { 'user-agent': '@attnzoo/datasets', 'accept-encoding': 'identity' },
      onProgress: (p) => {
        const progress: DownloadProgress = { file: name, ...p, total: p.total ?? opts.size ?? null };
        opts.onProgress?.(progress);
        bar?.(progress);
      },
    });
  } catch (error) {
    throw datasetDownloadError(error, name, dest, maxBytes);
  }
  const sum = ownTemp(`${dest}.sha256`);
  await writeFile(sum, `${h.sha256}  ${name}\n`);
  await rename(sum, `${dest}.sha256`);
  return { path: dest, ...h };
}
