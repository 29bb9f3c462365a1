/**
 * What a release command gets from the CLI's one parser (`parseCommandArgs` in ../command.ts),
 * with typed readers for the option values.
 */
export interface ReleaseArgs {
  /** The command line after `attnzoo`, for the reproduce commands written into cards and results. */
  raw: string[];
  positional: string[];
  options: Record<string, string | boolean | undefined>;
}

export function stringOption(args: ReleaseArgs, name: string, fallback?: string): string {
  const v = args.options[name];
  if (typeof v !== 'string') {
    if (fallback !== undefined) return fallback;
    throw new Error(`--${name} <value> is required.`);
  }
  return v;
}

export function numberOption(args: ReleaseArgs, name: string, fallback: number): number {
  const v = args.options[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n))
    throw new Error(`--${name} needs a number, got ${JSON.stringify(v)}.`);
  return n;
}

/** A positive integer option, or undefined when it is not given. */
export function intOption(args: ReleaseArgs, name: string): number | undefined {
  const v = args.options[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < 1)
    throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(v)}.`);
  return n;
}

/** A positive number option, or undefined when it is not given. */
export function positiveOption(args: ReleaseArgs, name: string): number | undefined {
  const v = args.options[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !(n > 0) || !Number.isFinite(n))
    throw new Error(`--${name} must be a positive number, got ${JSON.stringify(v)}.`);
  return n;
}

/** The command as typed, quoted where needed: `attnzoo release train ...`. */
export function commandLine(argv: readonly string[]): string {
  return ['attnzoo', ...argv].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}
