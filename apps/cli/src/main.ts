import { TrainingPaused } from '@attnzoo/train';
import { type Command, helpText, parseCommandArgs, UsageError } from './command';
import { COMMANDS } from './commands/index';
import { EXIT_PAUSED } from './commands/release';
import { applyConfigFile } from './config-file';

function usage(): string {
  return [
    'attnzoo: Transformer model zoo on TensorFlow.js',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  attnzoo ${c.path.join(' ')}`.padEnd(34) + c.summary),
    '',
    "Run 'attnzoo <command> --help' for its options.",
  ].join('\n');
}

function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  // Longest path first, so 'bench attention' wins over a shorter prefix.
  const sorted = [...COMMANDS].sort((a, b) => b.path.length - a.path.length);
  for (const command of sorted) {
    if (command.path.every((word, i) => argv[i] === word))
      return { command, rest: argv.slice(command.path.length) };
  }
  return undefined;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 bad usage, 75 a training run paused at its time limit). */
export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
    console.log(usage());
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    console.error(
      `attnzoo: unknown command '${argv.join(' ')}'. Run 'attnzoo --help' for the list of commands.`,
    );
    return 2;
  }
  try {
    const { values, positionals } = parseCommandArgs(found.command, found.rest);
    if (values.help) {
      console.log(helpText(found.command));
      return 0;
    }
    const withDefaults = { ...values } as Record<string, string | boolean | undefined>;
    applyConfigFile(found.command, withDefaults);
    // Read by @attnzoo/runtime's selectBackend: native libraries (Dawn) may print while it looks.
    if (withDefaults.verbose === true) process.env.ATTNZOO_VERBOSE = '1';
    for (const [k, o] of Object.entries(found.command.options)) withDefaults[k] ??= o.default;
    await found.command.run(withDefaults, positionals, argv);
    return 0;
  } catch (error) {
    // A paused run is not a failure: its checkpoint is saved and the same command with --resume goes on.
    if (error instanceof TrainingPaused) {
      console.error(`paused: ${error.message}`);
      return EXIT_PAUSED;
    }
    if (error instanceof UsageError) {
      console.error(`attnzoo: ${error.message}`);
      return 2;
    }
    console.error(`attnzoo ${found.command.path.join(' ')}: ${(error as Error).message}`);
    if (process.env.ATTNZOO_DEBUG) console.error(error);
    return 1;
  }
}
