/** The backends attnzoo knows, best first. */
export const BACKEND_PREFERENCE = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_PREFERENCE)[number];

export function isBackendName(value: string): value is BackendName {
  return (BACKEND_PREFERENCE as readonly string[]).includes(value);
}

/** Parses a user-supplied backend name (flag or ATTNZOO_BACKEND) or throws a clear error. */
export function parseBackendName(value: string, origin: string): BackendName | 'auto' {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if (isBackendName(v)) return v;
  throw new Error(
    `Unknown backend "${value}" from ${origin}: use one of auto, ${BACKEND_PREFERENCE.join(', ')}.`,
  );
}
