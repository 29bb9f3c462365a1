/** What went wrong, for callers that branch on it; the message says what to do. */
export type PresetErrorCode =
  | 'missing-file'
  | 'checksum'
  | 'truncated'
  | 'unsafe-path'
  | 'unknown-class'
  | 'format-version'
  | 'shape-mismatch'
  | 'invalid'
  | 'not-found'
  | 'version'
  | 'offline'
  | 'download'
  | 'exists'
  | 'too-large'
  | 'unsafe-url'
  | 'write';

export class PresetError extends Error {
  readonly code: PresetErrorCode;
  constructor(code: PresetErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PresetError';
    this.code = code;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
