// Browser-safe core: parsers over bytes and streams, registry, splits, shuffling, batching.
// File system, cache and downloads live in '@attnzoo/datasets/node'.
export { type Batch, type BatchOptions, batches } from './batch';
export { DatasetError, type DatasetErrorCode } from './errors';
export { imageAt } from './image-at';
export { type DatasetLimits, DEFAULT_DATASET_LIMITS, datasetLimits, setDatasetLimits } from './limits';
export { ByteReader, type ByteSource, lines, readAll } from './parsers/bytes';
export { CIFAR10_CLASSES, type CifarVariant, parseCifarBinary } from './parsers/cifar';
export { gunzipBytes, gunzipStream, isGzip, maybeGunzip } from './parsers/gzip';
export { type IdxArray, parseIdx } from './parsers/idx';
export { decodeJpegRgb } from './parsers/jpeg';
export { type ArchiveEntry, readTar, safeEntryPath } from './parsers/tar';
export { writeTar } from './parsers/tar-writer';
export {
  alignLines,
  type BlitzerReview,
  type LabelledText,
  type Pair,
  type PairStats,
  parseAmazonPolarityCsv,
  parseAnkiTsv,
  parseBlitzerReviews,
  parseCsv,
  parseFastText,
  unescapeZhang,
} from './parsers/text';
export { readZip } from './parsers/zip';
export {
  mulberry32,
  seededPermutation,
  seededShuffle,
  splitTrainValidation,
  type TrainValidationIndices,
} from './random';
export { type DatasetFiles, type RawSplits, type ReadDatasetOptions, readDataset } from './read';
export {
  collectTexts,
  type Entries,
  type OfficialSplit,
  type ReadOptions,
  readAmazonPolarityCsv,
  readAnki,
  readBlitzer,
  readCifarBinary,
  readEuroparl,
  readIdxImages,
  readImdb,
  readJpegFolders,
  SENTIMENT_CLASSES,
} from './readers';
export {
  type DatasetEntry,
  type DatasetFile,
  type DatasetName,
  type DatasetTask,
  datasetRegistry,
  getDataset,
} from './registry';
export {
  type DatasetSplits,
  deriveSplits,
  type SplitPlan,
  selectExamples,
  splitSize,
  stratifiedSample,
} from './splits';
export type { ImageSplit, PairSplit, Split, SplitName, TextSplit } from './types';
