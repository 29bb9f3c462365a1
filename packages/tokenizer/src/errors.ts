export type TokenizerErrorCode =
  | 'BAD_MODEL'
  | 'BAD_INPUT'
  | 'BAD_ID'
  | 'NO_PAD'
  | 'SPM_NOT_FOUND'
  | 'SPM_FAILED'
  | 'MISMATCH';

/** Every error this package throws on purpose; `code` says which case it is. */
export class TokenizerError extends Error {
  readonly code: TokenizerErrorCode;
  constructor(code: TokenizerErrorCode, message: string) {
    super(message);
    this.name = 'TokenizerError';
    this.code = code;
  }

  // Works across bundles that each carry their own copy of this class (as DatasetError does).
  static override [Symbol.hasInstance](v: unknown): boolean {
    return typeof v === 'object' && v !== null && (v as { name?: unknown }).name === 'TokenizerError';
  }
}
