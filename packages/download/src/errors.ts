/**
 * What went wrong in a download, as data: hub and datasets turn it into their own error classes
 * and wording, so the words a user reads stay theirs.
 *
 * - `unsafe-url`: a URL (or a redirect's target) the policy refuses; `reason` says why.
 * - `redirects`: more redirects than allowed.
 * - `http`: the server answered with an error status.
 * - `network`: the request failed before an answer (refused, reset, idle timeout).
 * - `truncated`: the body ended or broke before all its bytes arrived (resumable).
 * - `restart`: the server refused to resume (416, or a range other than asked for).
 * - `too-large`: the server announced or sent more than the caller's limit; nothing was kept.
 * - `write`: the cache refused a write (disk full, read-only); the bytes so far are kept.
 * - `size`, `checksum`: the whole file does not match what was expected; it was removed.
 * - `failed`: every URL failed with one of the retryable kinds above; `failures` lists them.
 */
export type DownloadErrorKind =
  | 'unsafe-url'
  | 'redirects'
  | 'http'
  | 'network'
  | 'truncated'
  | 'restart'
  | 'too-large'
  | 'write'
  | 'size'
  | 'checksum'
  | 'failed';

export interface DownloadErrorDetails {
  /** The URL concerned (for a refused redirect, its target). */
  url?: string;
  /** The URL first asked for, when a redirect led to `url`. */
  first?: string;
  /** The URL that redirected to `url`. */
  from?: string;
  /** unsafe-url: an unparsable URL, a scheme not allowed, or a downgrade from https to plain http. */
  reason?: 'invalid' | 'scheme' | 'downgrade';
  status?: number;
  statusText?: string;
  /** Bytes of the file on disk (received so far, or the whole file for size). */
  received?: number;
  /** The expected size (truncated, size), the limit (too-large, redirects), or the digest (checksum). */
  expected?: number | string;
  /** too-large: the server announced the size rather than sending it. */
  announced?: boolean;
  /** checksum: the algorithm and the digest of the bytes received. */
  algorithm?: 'sha256' | 'md5';
  actual?: string;
  /** write: the file that could not be written. */
  path?: string;
  /** failed: what went wrong with each attempt, in order. */
  failures?: DownloadError[];
  cause?: unknown;
}

export class DownloadError extends Error implements DownloadErrorDetails {
  override readonly name = 'DownloadError';
  readonly url?: string;
  readonly first?: string;
  readonly from?: string;
  readonly reason?: 'invalid' | 'scheme' | 'downgrade';
  readonly status?: number;
  readonly statusText?: string;
  readonly received?: number;
  readonly expected?: number | string;
  readonly announced?: boolean;
  readonly algorithm?: 'sha256' | 'md5';
  readonly actual?: string;
  readonly path?: string;
  readonly failures?: DownloadError[];

  constructor(
    readonly kind: DownloadErrorKind,
    message: string,
    details: DownloadErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    const { cause: _, ...rest } = details;
    Object.assign(this, rest);
  }
}

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
