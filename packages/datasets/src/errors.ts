/** Every failure this package raises: a stable `code` plus a message naming the problem and the fix. */
export type DatasetErrorCode =
  | 'UNKNOWN_DATASET'
  | 'UNKNOWN_SPLIT'
  | 'EMPTY_SPLIT'
  | 'BAD_MAGIC'
  | 'TRUNCATED'
  | 'TOO_LARGE'
  | 'CORRUPT'
  | 'UNSAFE_PATH'
  | 'CHECKSUM_MISMATCH'
  | 'OFFLINE_MISSING'
  | 'DOWNLOAD_FAILED'
  | 'WRITE_FAILED'
  | 'SOURCE_NOT_FOUND'
  | 'BAD_CACHE_DIR'
  | 'BAD_ARGUMENT';

export class DatasetError extends Error {
  readonly code: DatasetErrorCode;
  /** `instanceof` also recognises errors from the other entry point's bundle (`.` and `./node` are built separately). */
  static override [Symbol.hasInstance](x: unknown): boolean {
    return (
      x instanceof Error && x.name === 'DatasetError' && typeof (x as { code?: unknown }).code === 'string'
    );
  }
  constructor(code: DatasetErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatasetError';
    this.code = code;
  }
}
