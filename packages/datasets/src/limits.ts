import { DatasetError } from './errors';

/**
 * How much a hostile or damaged file may make the parsers hold. Every declared size (a tar
 * entry, a zip entry, an IDX shape, a gzip payload read whole) is checked against these before
 * anything is allocated; streaming readers hold one chunk at a time and need no limit.
 */
export interface DatasetLimits {
  /** Largest single file read whole into memory (an archive entry's `bytes()`, a gunzipped IDX file). */
  maxFileBytes: number;
  /** Largest tar metadata record (pax header, GNU long name), which is always read whole. */
  maxTarMetadataBytes: number;
  /** Largest download, when the registry does not give the exact size. */
  maxDownloadBytes: number;
}

export const DEFAULT_DATASET_LIMITS: Readonly<DatasetLimits> = Object.freeze({
  // The largest file any registered data set reads whole is Europarl's English side (~300 MB).
  maxFileBytes: 1 << 30,
  maxTarMetadataBytes: 1 << 20,
  // The largest registered archive (Amazon Review Polarity) is 688 MB.
  maxDownloadBytes: 4 * 2 ** 30,
});

const limits: DatasetLimits = { ...DEFAULT_DATASET_LIMITS };

/** The limits in force (a copy). */
export function datasetLimits(): DatasetLimits {
  return { ...limits };
}

/** Raises or lowers limits for this process; returns the previous ones so a caller can restore them. */
export function setDatasetLimits(next: Partial<DatasetLimits>): DatasetLimits {
  const previous = { ...limits };
  for (const [key, value] of Object.entries(next) as [keyof DatasetLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new DatasetError('BAD_ARGUMENT', `dataset limit ${key} must be a positive integer, got ${value}`);
    }
    limits[key] = value;
  }
  return previous;
}

function mib(n: number): string {
  return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${n} bytes`;
}

/** Throws TOO_LARGE when a declared size is over `limit`; names the file, the size, the limit and the fix. */
export function checkDeclaredSize(
  what: string,
  declared: number,
  key: keyof DatasetLimits,
  limit = limits[key],
): void {
  if (!(declared <= limit)) {
    throw new DatasetError(
      'TOO_LARGE',
      `${what} declares or holds ${mib(declared)}, over the ${key} limit of ${mib(limit)}: the file is corrupt or hostile; ` +
        `download it again, or raise the limit with setDatasetLimits({ ${key}: ... }) if it is genuine`,
    );
  }
}
