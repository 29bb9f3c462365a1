import { DownloadError } from './errors';

/**
 * Whether a URL host is this machine. Plain http is allowed only there (a test server, a local
 * mirror): anywhere else a network attacker could swap the bytes before the checksum is checked.
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Which URLs a download may use. `plainHttp: 'loopback'` (presets): https, or http only to this
 * machine. `plainHttp: 'no-downgrade'` (data sets, some of which are only served over http): http
 * anywhere, but a redirect from https may not lead to plain http elsewhere, where the bytes could
 * be swapped on the way. `file` allows file: URLs (local folders).
 */
export interface UrlPolicy {
  plainHttp: 'loopback' | 'no-downgrade';
  file?: boolean;
}

/** Returns the parsed URL, or throws an `unsafe-url` DownloadError; `from` is the URL that redirected here. */
export function checkDownloadUrl(url: string, policy: UrlPolicy, from?: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DownloadError('unsafe-url', `${url} is not a valid URL`, { url, from, reason: 'invalid' });
  }
  if (u.protocol === 'https:' || (policy.file && u.protocol === 'file:')) return u;
  if (u.protocol === 'http:') {
    if (isLoopbackHost(u.hostname)) return u;
    if (policy.plainHttp === 'no-downgrade') {
      if (!from || new URL(from).protocol !== 'https:') return u;
      throw new DownloadError(
        'unsafe-url',
        `${from} redirected to plain-http ${url}: refusing the downgrade`,
        {
          url,
          from,
          reason: 'downgrade',
        },
      );
    }
  }
  throw new DownloadError('unsafe-url', `unsupported URL scheme in ${url}`, { url, from, reason: 'scheme' });
}
