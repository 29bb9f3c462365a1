// Node-only: downloads into a cache shared by several processes (used by @attnzoo/hub and @attnzoo/datasets).
export { type FileHash, hashFile } from './file-hash';
export {
  claimPartial,
  DEFAULT_PARTIAL_SUFFIX,
  ownTemp,
  releasePartial,
  sweepDeadPartials,
} from './partial-files';
export { isLoopbackHost } from './url';
