import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { basename, dirname } from 'node:path';
import {
  claimPartial,
  hashFile,
  isLoopbackHost,
  ownTemp,
  releasePartial,
  sweepDeadPartials,
} from '@attnzoo/download';
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

type Attempt = { status: 'complete' } | { status: 'partial'; reason: string } | { status: 'restart' };

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

/**
 * Why a redirect from `from` to `to` is refused, or undefined when it is followed: it may not trade
 * https for plain http (except to this machine), where the bytes could be swapped on the way.
 */
export function redirectRefusal(from: URL, to: URL): DatasetError | undefined {
  if (from.protocol === 'https:' && to.protocol === 'http:' && !isLoopbackHost(to.hostname)) {
    return new DatasetError(
      'DOWNLOAD_FAILED',
      `${from.href} redirected to plain-http ${to.href}: refusing the downgrade; download the file yourself and pass --source`,
    );
  }
  return undefined;
}

function attempt(
  url: string,
  part: string,
  start: number,
  report: (received: number, total: number | null) => void,
  idleMs: number,
  maxBytes: number,
  redirects = 0,
  from?: URL,
): Promise<Attempt> {
  return new Promise((resolveP, rejectP) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null;
    if (!mod) {
      rejectP(new DatasetError('DOWNLOAD_FAILED', `unsupported URL scheme in ${url}`));
      return;
    }
    const refused = from && redirectRefusal(from, u);
    if (refused) {
      rejectP(refused);
      return;
    }
    const headers: Record<string, string> = {
      'user-agent': '@attnzoo/datasets',
      'accept-encoding': 'identity',
    };
    if (start > 0) headers.range = `bytes=${start}-`;
    const req = mod.get(u, { headers }, (res) => {
      const code = res.statusCode ?? 0;
      if (code >= 300 && code < 400 && res.headers.location) {
        res.resume();
        if (redirects >= 5) {
          rejectP(new DatasetError('DOWNLOAD_FAILED', `too many redirects from ${url}`));
          return;
        }
        attempt(
          new URL(res.headers.location, u).toString(),
          part,
          start,
          report,
          idleMs,
          maxBytes,
          redirects + 1,
          u,
        ).then(resolveP, rejectP);
        return;
      }
      if (code === 416 && start > 0) {
        res.resume();
        resolveP({ status: 'restart' });
        return;
      }
      if (code !== 200 && code !== 206) {
        res.resume();
        rejectP(new DatasetError('DOWNLOAD_FAILED', `GET ${url} answered HTTP ${code}`));
        return;
      }
      let offset = start;
      if (code === 200 && start > 0) offset = 0; // server ignored the Range header: start over
      if (code === 206) {
        const m = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
        if (!m || Number(m[1]) !== start) {
          res.resume();
          resolveP({ status: 'restart' });
          return;
        }
      }
      const len = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : null;
      const total = len !== null ? offset + len : null;
      const tooLarge = (n: number) =>
        new DatasetError(
          'TOO_LARGE',
          `GET ${url} ${n === total ? 'announces' : 'sent'} ${n} bytes, over the ${maxBytes} bytes expected for ${basename(part).replace(/\.part.*$/, '')}: ` +
            'the server is not serving this file; nothing was kept (raise setDatasetLimits({ maxDownloadBytes }) if the file is genuinely larger)',
        );
      if (total !== null && total > maxBytes) {
        res.resume();
        rejectP(tooLarge(total));
        return;
      }
      const out = createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' });
      const writeFailure = (e: NodeJS.ErrnoException) =>
        new DatasetError(
          'WRITE_FAILED',
          `cannot write ${part} (${e.message}): ${e.code === 'ENOSPC' || e.code === 'EDQUOT' ? 'free disk space' : 'make the cache folder writable'} ` +
            'or point ATTNZOO_CACHE (cacheDir) at another folder, then run again; the bytes received so far are kept and the download resumes from there',
          { cause: e },
        );
      let received = offset;
      let finished = false;
      const done = (a: Attempt) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        // a write error can race with the end of the response: the stream's own error wins
        out.end((err?: Error | null) => {
          const failed = out.errored ?? err;
          if (failed) rejectP(writeFailure(failed as NodeJS.ErrnoException));
          else resolveP(a);
        });
      };
      let timer = setTimeout(() => req.destroy(new Error('idle timeout')), idleMs);
      res.on('data', (c: Buffer) => {
        if (finished) return;
        clearTimeout(timer);
        if (received + c.length > maxBytes) {
          finished = true;
          req.destroy();
          out.end(() => rejectP(tooLarge(received + c.length)));
          return;
        }
        timer = setTimeout(() => req.destroy(new Error('idle timeout')), idleMs);
        received += c.length;
        out.write(c);
        report(received, total);
      });
      res.on('end', () => {
        if (total !== null && received < total)
          done({ status: 'partial', reason: `connection closed at ${received} of ${total} bytes` });
        else done({ status: 'complete' });
      });
      res.on('aborted', () => done({ status: 'partial', reason: `connection dropped at ${received} bytes` }));
      res.on('error', (e) => done({ status: 'partial', reason: e.message }));
      res.on('close', () => {
        if (!res.complete) done({ status: 'partial', reason: `connection dropped at ${received} bytes` });
      });
      out.on('error', (e: NodeJS.ErrnoException) => {
        finished = true;
        clearTimeout(timer);
        req.destroy();
        rejectP(writeFailure(e));
      });
    });
    req.on('error', (e) =>
      rejectP(
        Object.assign(new DatasetError('DOWNLOAD_FAILED', `GET ${url} failed: ${e.message}`, { cause: e }), {
          retryable: true,
        }),
      ),
    );
  });
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
  await mkdir(dirname(dest), { recursive: true });
  await sweepDeadPartials(dirname(dest), PART);
  const shared = `${dest}${PART}`;
  // This process's own partial file: several processes may download the same file at once.
  const part = await claimPartial(dest, PART);
  const bar = opts.progressBar !== false && process.stderr.isTTY ? progressBar(name) : null;
  const retries = opts.retries ?? 4;
  const maxBytes = opts.size ?? datasetLimits().maxDownloadBytes;
  const errors: string[] = [];
  let complete = false;
  for (const url of urls) {
    for (let i = 0; i <= retries && !complete; i++) {
      const have = await stat(part).then(
        (s) => s.size,
        () => 0,
      );
      const report = (received: number, total: number | null) => {
        const p: DownloadProgress = {
          file: name,
          url,
          received,
          total: total ?? opts.size ?? null,
          resumedFrom: have,
        };
        opts.onProgress?.(p);
        bar?.(p);
      };
      let r: Attempt;
      try {
        r = await attempt(url, part, have, report, opts.idleTimeoutMs ?? 30_000, maxBytes);
      } catch (e) {
        if (e instanceof DatasetError && e.code === 'TOO_LARGE') {
          await rm(part, { force: true });
          throw e;
        }
        if (e instanceof DatasetError && e.code === 'WRITE_FAILED') {
          // another mirror would fail the same way: stop, keeping what arrived for the next run
          await releasePartial(part, dest, PART);
          throw e;
        }
        errors.push((e as Error).message);
        if ((e as { retryable?: boolean }).retryable) continue;
        break; // HTTP error: next mirror
      }
      if (r.status === 'complete') complete = true;
      else if (r.status === 'restart') await truncate(part, 0).catch(() => undefined);
      else errors.push(`${url}: ${r.reason}`);
    }
    if (complete) break;
  }
  if (!complete) {
    await releasePartial(part, dest, PART);
    throw new DatasetError(
      'DOWNLOAD_FAILED',
      `could not download ${name} (${errors.join('; ')}); the partial file ${shared} is kept and will be resumed next time, or pass a local source (--source)`,
    );
  }
  const h = await hashFile(part);
  const [algo, expected, got] = opts.sha256
    ? ['sha256', opts.sha256, h.sha256]
    : opts.md5
      ? ['md5', opts.md5, h.md5]
      : [null, null, null];
  if (algo && expected!.toLowerCase() !== got) {
    await rm(part, { force: true });
    throw new DatasetError(
      'CHECKSUM_MISMATCH',
      `checksum mismatch for ${name}: expected ${algo} ${expected}, got ${got}; the file was removed from the cache, download again or pass --source`,
    );
  }
  // Atomic: a process that finished the same file first put the same verified bytes there.
  await rename(part, dest);
  const sum = ownTemp(`${dest}.sha256`);
  await writeFile(sum, `${h.sha256}  ${name}\n`);
  await rename(sum, `${dest}.sha256`);
  return { path: dest, ...h };
}
