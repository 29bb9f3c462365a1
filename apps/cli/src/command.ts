import { type ParseArgsConfig, parseArgs } from 'node:util';

type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & {
  description: string;
  default?: string | boolean;
};

export interface Command {
  /** Words after `attnzoo`, e.g. ['bench', 'attention']. */
  path: string[];
  summary: string;
  options: Record<string, OptionSpec>;
  /** `argv`: the whole command line after `attnzoo`, for the reproduce commands written into results. */
  run(
    values: Record<string, string | boolean | undefined>,
    positionals: string[],
    argv: string[],
  ): Promise<void>;
}

/** The backend options every command that computes takes. */
export const backendOptions = {
  backend: { type: 'string', description: 'auto, tensorflow, webgpu, wasm or cpu (or $ATTNZOO_BACKEND)' },
  'webgpu-adapter': { type: 'string', description: 'hardware or software (Mesa) WebGPU adapter' },
  verbose: {
    type: 'boolean',
    description: "also show native libraries' messages while the backend is picked",
  },
} as const;

/** A mistake in how the command was called: printed as one line, exit code 2. */
export class UsageError extends Error {}

export function helpText(c: Command): string {
  const lines = [`attnzoo ${c.path.join(' ')}: ${c.summary}`, '', 'Options:'];
  for (const [name, o] of Object.entries(c.options)) {
    const value = o.type === 'string' ? ' <value>' : '';
    const def = o.default !== undefined ? ` (default: ${o.default})` : '';
    lines.push(`  --${name}${value}`.padEnd(28) + `${o.description}${def}`);
  }
  lines.push('  --help'.padEnd(28) + 'show this help');
  return lines.join('\n');
}

export function parseCommandArgs(c: Command, args: string[]) {
  const options = Object.fromEntries(
    // Defaults are applied by main after --config, so that a config file can set what the flags leave unset.
    Object.entries(c.options).map(([k, { description: _d, default: _default, ...rest }]) => [k, rest]),
  ) as ParseArgsConfig['options'];
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(
      `${(error as Error).message.split('\n')[0]}. Run 'attnzoo ${c.path.join(' ')} --help' for the options.`,
    );
  }
}

/** Parses a comma-separated list of positive integers, e.g. --lengths 64,256. */
export function intList(value: string | boolean | undefined, flag: string): number[] {
  const items = String(value)
    .split(',')
    .map((s) => Number(s.trim()));
  if (items.length === 0 || items.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new UsageError(`--${flag} must be a comma-separated list of positive integers, got "${value}".`);
  }
  return items;
}

export function positiveInt(value: string | boolean | undefined, flag: string): number {
  return intList(value, flag)[0];
}
