import {
  checkDownloadUrl,
  DownloadError,
  boundedFetch as downloadBoundedFetch,
  type FetchLike,
  isLoopbackHost,
  MAX_REDIRECTS,
} from '@attnzoo/download/browser';
import { PresetError } from './errors';

// Which URLs a preset may come from. Plain http is allowed only to this machine (a test server,
// a local mirror): anywhere else a network attacker could swap the files before the manifest pin
// is checked, and a redirect could lead to an internal address.
export { isLoopbackHost, MAX_REDIRECTS };

/**
 * The PresetError of a refused URL or redirect (`unsafe-url`, or `download` for too many redirects);
 * other errors are returned unchanged.
 */
export function presetUrlError(error: unknown, allowFile = false, what?: string): unknown {
  if (!(error instanceof DownloadError)) return error;
  if (error.kind === 'redirects') {
    return new PresetError(
      'download',
      `${error.url} redirected more than ${error.expected} times: the server is misconfigured; use the final address of the preset.`,
    );
  }
  if (error.kind !== 'unsafe-url' || !error.url) return error;
  const subject = what ?? (error.first ? `${error.first} redirected to ${error.url}, which` : error.url);
  if (error.reason === 'invalid') {
    return new PresetError('unsafe-url', `${subject} is not a valid URL: use an https:// address.`);
  }
  const u = new URL(error.url);
  return new PresetError(
    'unsafe-url',
    `${subject} uses ${u.protocol}${u.protocol === 'http:' ? ` to ${u.hostname}` : ''}: presets load only from https:// ` +
      `(plain http:// only from this machine${allowFile ? ', file:// for local folders' : ''}); use the https:// address.`,
  );
}

/** Throws `unsafe-url` unless `url` is https:, file: (when `allowFile`), or http: to a loopback host. */
export function checkPresetUrl(url: string, what = url, allowFile = false): URL {
  try {
    return checkDownloadUrl(url, { plainHttp: 'loopback', file: allowFile });
  } catch (error) {
    throw presetUrlError(error, allowFile, what);
  }
}

/**
 * `fetch` that follows at most `maxRedirects` redirects itself and checks every hop against the
 * URL policy (Node; browsers follow redirects on their own and the final URL is checked instead).
 */
export function boundedFetch(maxRedirects = MAX_REDIRECTS): FetchLike {
  const fetchFn = downloadBoundedFetch({ policy: { plainHttp: 'loopback' }, maxRedirects });
  return (url, init) =>
    fetchFn(url, init).catch((error: unknown) => {
      throw presetUrlError(error);
    });
}
