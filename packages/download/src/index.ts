// Node: downloads into a cache shared by several processes (used by @attnzoo/hub and @attnzoo/datasets).
export * from './browser';
export { type DownloadProgress, downloadVerified, type VerifiedDownloadOptions } from './download';
export { type FileHash, hashFile } from './file-hash';
export {
  claimPartial,
  DEFAULT_PARTIAL_SUFFIX,
  ownTemp,
  releasePartial,
  sweepDeadPartials,
} from './partial-files';
