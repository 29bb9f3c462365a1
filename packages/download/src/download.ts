import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { boundedFetch, type FetchLike } from './bounded-fetch';
import { DownloadError, errorMessage } from './errors';
import { type FileHash, hashFile } from './file-hash';
import { claimPartial, DEFAULT_PARTIAL_SUFFIX, releasePartial } from './partial-files';
import { checkDownloadUrl, type UrlPolicy } from './url';

export interface DownloadProgress {
  url: string;
  /** Bytes of the file on disk so far. */
  received: number;
  /** Its size: the expected one, else the one the server announced, else null. */
  total: number | null;
  /** Bytes already on disk when this attempt started (a resumed download). */
  resumedFrom: number;
}

export interface VerifiedDownloadOptions {
  /** Where the file may come from, tried in order (mirrors). */
  urls: readonly string[];
  dest: string;
  /** Suffix of the resumable leftover (default `.partial`). */
  suffix?: string;
  /** URL policy of every URL, redirect and final address (default: https, plain http only to this machine). */
  policy?: UrlPolicy;
  /** Does the requests (default: a bounded fetch with `policy`). */
  fetch?: FetchLike;
  /** The exact size, when known: a longer body is cut off, a complete leftover is not fetched again. */
  size?: number;
  /** The most bytes accepted (default `size`, else unlimited). */
  maxBytes?: number;
  sha256?: string | null;
  md5?: string | null;
  /** Attempts per URL after the first, each resuming where the last stopped (default 2). */
  retries?: number;
  /** Milliseconds without data before an attempt is abandoned and resumed (default: none). */
  idleTimeoutMs?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
  onProgress?: (p: DownloadProgress) => void;
  /** Errors of the caller's own kind that `fetch` may throw: they end the download unchanged. */
  isCallerError?: (error: unknown) => boolean;
}

/** Failures worth another try on the same URL (the next attempt resumes where this one stopped). */
const RETRYABLE = new Set(['network', 'truncated', 'restart']);

/**
 * Downloads a file into a partial file of this process's own (taking over the resumable leftover
 * of an interrupted run and resuming it with an HTTP Range request), checks its size and digest,
 * then renames it over `dest` (atomic: readers see no file or a whole verified one).
 *
 * A connection that breaks is resumed, up to `retries` times per URL, then the next URL is tried;
 * when all fail, the bytes so far stay as the leftover for the next run and a `failed`
 * DownloadError lists every attempt. A body over the limit or a file that fails the check is
 * removed; a write the cache refuses stops at once, keeping what arrived.
 */
export async function downloadVerified(options: VerifiedDownloadOptions): Promise<FileHash> {
  const { dest, size } = options;
  const suffix = options.suffix ?? DEFAULT_PARTIAL_SUFFIX;
  const policy = options.policy ?? { plainHttp: 'loopback' };
  const fetchFn = options.fetch ?? boundedFetch({ policy });
  const maxBytes = options.maxBytes ?? size ?? Number.POSITIVE_INFINITY;
  const retries = options.retries ?? 2;
  await fs.mkdir(dirname(dest), { recursive: true });
  const part = await claimPartial(dest, suffix);
  const failures: DownloadError[] = [];
  const attempt: Attempt = { fetchFn, policy, part, size, maxBytes, options };
  let complete = false;
  try {
    for (const url of options.urls) {
      for (let i = 0; i <= retries && !complete; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 50 * i));
        try {
          await downloadOnce(url, attempt);
          complete = true;
        } catch (error) {
          if (!(error instanceof DownloadError) || ['too-large', 'write'].includes(error.kind)) throw error;
          failures.push(error);
          if (error.kind === 'restart') await fs.rm(part, { force: true });
          const serverBusy = error.kind === 'http' && (error.status! >= 500 || error.status === 429);
          if (!RETRYABLE.has(error.kind) && !serverBusy) break; // this URL will not work: the next one
        }
      }
      if (complete) break;
    }
  } catch (error) {
    if (error instanceof DownloadError && error.kind === 'too-large') await fs.rm(part, { force: true });
    else await releasePartial(part, dest, suffix);
    throw error;
  }
  if (!complete) {
    await releasePartial(part, dest, suffix);
    throw new DownloadError(
      'failed',
      failures.map((f) => f.message).join('; ') || 'no URL to download from',
      {
        failures,
        url: failures.at(-1)?.url,
      },
    );
  }
  const hash = await hashFile(part);
  const mismatch = verify(hash, options);
  if (mismatch) {
    await fs.rm(part, { force: true });
    throw mismatch;
  }
  // Atomic: another process that finished the same file first put the same verified bytes there.
  await fs.rename(part, dest);
  return hash;
}

function verify(hash: FileHash, options: VerifiedDownloadOptions): DownloadError | undefined {
  if (options.size !== undefined && hash.bytes !== options.size) {
    return new DownloadError('size', `the file has ${hash.bytes} bytes, expected ${options.size}`, {
      received: hash.bytes,
      expected: options.size,
    });
  }
  const [algorithm, expected] = options.sha256
    ? (['sha256', options.sha256] as const)
    : options.md5
      ? (['md5', options.md5] as const)
      : [];
  if (algorithm && expected.toLowerCase() !== hash[algorithm]) {
    return new DownloadError('checksum', `expected ${algorithm} ${expected}, got ${hash[algorithm]}`, {
      algorithm,
      expected,
      actual: hash[algorithm],
    });
  }
  return undefined;
}

interface Attempt {
  fetchFn: FetchLike;
  policy: UrlPolicy;
  part: string;
  size: number | undefined;
  maxBytes: number;
  options: VerifiedDownloadOptions;
}

/** One request: appends to (or restarts) the partial file; returns once it holds the whole body. */
async function downloadOnce(url: string, a: Attempt): Promise<void> {
  let have = (await fs.stat(a.part).catch(() => undefined))?.size ?? 0;
  if (a.size !== undefined && have > a.size) {
    await fs.rm(a.part, { force: true });
    have = 0;
  }
  if (a.size !== undefined && have === a.size) return; // a complete leftover: only the check is left
  const idle = a.options.idleTimeoutMs;
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    if (idle === undefined) return;
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(new Error(`no data for ${idle} ms`)), idle);
  };
  const headers = { ...a.options.headers, ...(have > 0 ? { Range: `bytes=${have}-` } : {}) };
  arm();
  try {
    let response: Response;
    try {
      response = await a.fetchFn(url, { headers, ...(idle !== undefined ? { signal: abort.signal } : {}) });
    } catch (error) {
      if (error instanceof DownloadError || a.options.isCallerError?.(error)) throw error;
      throw new DownloadError('network', `GET ${url} failed: ${errorMessage(error)}`, { url, cause: error });
    }
    // a fetch that follows redirects itself: the address the bytes finally come from must pass too
    if (response.url && response.url !== url) {
      try {
        checkDownloadUrl(response.url, a.policy, url);
      } catch (error) {
        await response.body?.cancel();
        throw Object.assign(error as DownloadError, { first: url });
      }
    }
    await receive(url, response, have, a, arm);
  } finally {
    clearTimeout(timer);
  }
}

async function receive(
  url: string,
  response: Response,
  have: number,
  a: Attempt,
  arm: () => void,
): Promise<void> {
  const refuse = (kind: 'restart' | 'http', message: string) =>
    new DownloadError(kind, message, { url, status: response.status, statusText: response.statusText });
  if (response.status === 416 && have > 0) {
    await response.body?.cancel();
    throw refuse('restart', `${url} refused to resume the download`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw refuse('http', `GET ${url} answered HTTP ${response.status}`);
  }
  let offset = 0;
  if (response.status === 206) {
    const start = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
    if (!start || Number(start[1]) !== have) {
      await response.body?.cancel();
      throw refuse('restart', `${url} answered with another range than bytes=${have}-`);
    }
    offset = have;
  }
  const length = response.headers.get('content-length');
  const announced = length !== null && length !== '' ? offset + Number(length) : null;
  const total = a.size ?? announced;
  const tooLarge = (bytes: number, isAnnounced: boolean) =>
    new DownloadError(
      'too-large',
      `GET ${url} ${isAnnounced ? 'announces' : 'sent'} ${bytes} bytes, over the ${a.maxBytes} bytes expected`,
      { url, received: bytes, expected: a.maxBytes, announced: isAnnounced },
    );
  if (announced !== null && announced > a.maxBytes) {
    await response.body?.cancel();
    throw tooLarge(announced, true);
  }
  const writeFailure = (error: unknown) =>
    new DownloadError('write', `cannot write ${a.part} (${errorMessage(error)})`, {
      path: a.part,
      cause: error,
    });
  const handle = await fs.open(a.part, offset > 0 ? 'a' : 'w').catch((error) => {
    throw writeFailure(error);
  });
  let received = offset;
  const report = () => a.options.onProgress?.({ url, received, total, resumedFrom: offset });
  try {
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          throw new DownloadError(
            'truncated',
            `${url}: connection dropped at ${received}${total !== null ? ` of ${total}` : ''} bytes (${errorMessage(error)})`,
            { url, received, expected: total ?? undefined, cause: error },
          );
        }
        if (chunk.done) break;
        arm();
        if (received + chunk.value.byteLength > a.maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw tooLarge(received + chunk.value.byteLength, false);
        }
        await handle.write(chunk.value).catch((error) => {
          throw writeFailure(error);
        });
        received += chunk.value.byteLength;
        report();
      }
    }
    await handle.sync().catch((error) => {
      throw writeFailure(error);
    });
  } finally {
    await handle.close().catch(() => undefined);
  }
  if (total !== null && received < total) {
    throw new DownloadError('truncated', `${url}: connection closed at ${received} of ${total} bytes`, {
      url,
      received,
      expected: total,
    });
  }
}
