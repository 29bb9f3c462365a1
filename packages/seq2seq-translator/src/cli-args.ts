/** `--key value` / `--flag` parsing for the package's bin (no dependency needed for this much). */
export interface ParsedArgs {
  /** The arguments as given (for the reproduce command in model cards). */
  raw: string[];
  positional: string[];
  options: Record<string, string | true>;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const options: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) options[a.slice(2, eq)] = a.slice(eq + 1);
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) options[a.slice(2)] = argv[++i];
      else options[a.slice(2)] = true;
    } else {
      positional.push(a);
    }
  }
  return { raw: [...argv], positional, options };
}

export function stringOption(args: ParsedArgs, name: string, fallback?: string): string {
  const v = args.options[name];
  if (v === undefined || v === true) {
    if (fallback !== undefined) return fallback;
    throw new Error(`--${name} <value> is required.`);
  }
  return v;
}

export function numberOption(args: ParsedArgs, name: string, fallback: number): number {
  const v = args.options[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v === true || !Number.isFinite(n))
    throw new Error(`--${name} needs a number, got ${JSON.stringify(v)}.`);
  return n;
}
