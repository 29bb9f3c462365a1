import { DownloadError } from './errors';
import { checkDownloadUrl, type UrlPolicy } from './url';

export type FetchLike = (
  url: string,
  init?: { headers?: Record<string, string>; signal?: AbortSignal },
) => Promise<Response>;

/** Most redirects a download follows. */
export const MAX_REDIRECTS = 5;

export interface BoundedFetchOptions {
  policy: UrlPolicy;
  maxRedirects?: number;
  /** The fetch that does the requests (default: the global one). */
  fetch?: typeof globalThis.fetch;
}

/**
 * `fetch` that follows at most `maxRedirects` redirects itself and checks every hop against the
 * URL policy, throwing `unsafe-url` or `redirects` DownloadErrors (Node; browsers follow redirects
 * on their own, and the final URL is checked instead).
 */
export function boundedFetch(options: BoundedFetchOptions): FetchLike {
  const max = options.maxRedirects ?? MAX_REDIRECTS;
  return async (url, init) => {
    const fetchImpl = options.fetch ?? globalThis.fetch;
    let current = url;
    let from: string | undefined;
    for (let hop = 0; ; hop++) {
      try {
        checkDownloadUrl(current, options.policy, from);
      } catch (error) {
        // the caller asked for `url`: say where the redirects led from there
        if (error instanceof DownloadError && hop > 0) Object.assign(error, { first: url });
        throw error;
      }
      const response = await fetchImpl(current, { ...init, redirect: 'manual' });
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return response;
      await response.body?.cancel();
      if (hop >= max) {
        throw new DownloadError('redirects', `too many redirects from ${url} (more than ${max})`, {
          url,
          expected: max,
        });
      }
      from = current;
      current = new URL(location, current).href;
    }
  };
}
