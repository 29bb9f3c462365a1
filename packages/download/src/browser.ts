// Browser-safe: the URL policy and the bounded fetch (hub's browser loader checks URLs with them).
export { type BoundedFetchOptions, boundedFetch, type FetchLike, MAX_REDIRECTS } from './bounded-fetch';
export { DownloadError, type DownloadErrorDetails, type DownloadErrorKind, errorMessage } from './errors';
export { checkDownloadUrl, isLoopbackHost, type UrlPolicy } from './url';
