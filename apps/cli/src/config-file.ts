import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { type Command, UsageError } from './command';

/**
 * Reads `--config file.json|yaml` and fills every option the command line did not set (flags win).
 * Keys are option names, kebab-case or camelCase (`batch-size` or `batchSize`).
 */
export function applyConfigFile(
  command: Command,
  values: Record<string, string | boolean | undefined>,
): void {
  const file = values.config;
  if (typeof file !== 'string') return;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`--config ${file}: no such file.`);
  }
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `--config ${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`--config ${file} must hold an object of option names and values.`);
  for (const [key, value] of Object.entries(parsed)) {
    const name = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const spec = command.options[name];
    if (!spec || name === 'config')
      throw new UsageError(
        `--config ${file}: "${key}" is not an option of attnzoo ${command.path.join(' ')}; run it with --help for the list.`,
      );
    if (values[name] !== undefined) continue;
    values[name] = spec.type === 'boolean' ? Boolean(value) : String(value);
  }
}
