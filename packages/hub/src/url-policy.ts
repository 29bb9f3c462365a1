import { isLoopbackHost } from '@attnzoo/download/url';
import { PresetError } from './errors';

// Which URLs a preset may come from. Plain http is allowed only to this machine (a test server,
// a local mirror): anywhere else a network attacker could swap the files before the manifest pin
// is checked, and a redirect could lead to an internal address.
export { isLoopbackHost };

/** Throws `unsafe-url` unless `url` is https:, file: (when `allowFile`), or http: to a loopback host. */
export function checkPresetUrl(url: string, what = url, allowFile = false): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PresetError('unsafe-url', `${what} is not a valid URL: use an https:// address.`);
  }
  if (u.protocol === 'https:' || (allowFile && u.protocol === 'file:')) return u;
  if (u.protocol === 'http:' && isLoopbackHost(u.hostname)) return u;
  throw new PresetError(
    'unsafe-url',
    `${what} uses ${u.protocol}${u.protocol === 'http:' ? ` to ${u.hostname}` : ''}: presets load only from https:// ` +
      `(plain http:// only from this machine${allowFile ? ', file:// for local folders' : ''}); use the https:// address.`,
  );
}

/** Most redirects a preset download follows. */
export const MAX_REDIRECTS = 5;

type Fetch = (
  url: string,
  init?: { headers?: Record<string, string>; signal?: AbortSignal },
) => Promise<Response>;

/**
 * `fetch` that follows at most `maxRedirects` redirects itself and checks every hop against the
 * URL policy (Node; browsers follow redirects on their own and the final URL is checked instead).
 */
export function boundedFetch(maxRedirects = MAX_REDIRECTS): Fetch {
  return async (url, init) => {
    let current = url;
    for (let hop = 0; ; hop++) {
      checkPresetUrl(current, hop === 0 ? current : `${url} redirected to ${current}, which`);
      const response = await globalThis.fetch(current, { ...init, redirect: 'manual' });
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return response;
      await response.body?.cancel();
      if (hop >= maxRedirects) {
        throw new PresetError(
          'download',
          `${url} redirected more than ${maxRedirects} times: the server is misconfigured; use the final address of the preset.`,
        );
      }
      current = new URL(location, current).href;
    }
  };
}
