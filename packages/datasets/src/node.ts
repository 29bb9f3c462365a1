// Node-only entry: file system, cache, downloads. Re-exports the browser-safe core.

export { hashFile } from '@attnzoo/download';
export * from './index';
export { cachePath, resolveCacheDir } from './node/cache';
export { type CsvRecord, CsvTokenizer, csvRecords, type TextStreamOptions } from './node/csv-records';
export {
  type DownloadOptions,
  type DownloadProgress,
  type DownloadResult,
  downloadFile,
} from './node/download';
export { archiveEntries, directoryEntries, locateInSource, nodeGunzip } from './node/files';
export {
  type LabelledTextFormat,
  type LabelledTextOptions,
  labelledSplit,
  labelledTextFormat,
  loadLabelledTexts,
  readLabelledTexts,
  readTextPairs,
  splitLabelledTexts,
} from './node/labelled-texts';
export { fetchDataset, type LoadOptions, loadDataset, mnistFromNpm, neededFiles } from './node/load';
export { findLocalDataFile, localDataFolders } from './node/local-data';
