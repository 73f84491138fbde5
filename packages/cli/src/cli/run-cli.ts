import { InvalidOptionError, SteerLMError } from '@steerlm/core';
import { ProgressDisplay } from '../output';
import { closestName } from './closest-name';
import type { CommandContext, CommandDefinition } from './command-definition';
import { parseCommandLine } from './parse-command-line';
import { commandHelp, overviewHelp } from './usage-text';

/** Exit statuses of the steerlm command. */
export const EXIT_CODES = Object.freeze({ ok: 0, failed: 1, usage: 2, interrupted: 130 });

export interface RunCliOptions {
  readonly commands: readonly CommandDefinition[];
  readonly version: string;
  readonly stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Abort the running command on SIGINT/SIGTERM (the bin does; in-process tests pass their own signal). */
  readonly handleSignals?: boolean;
  readonly signal?: AbortSignal;
}

/** Returns a hint for an operating-system error (a file that cannot be written, a full disk), else undefined. */
function describeSystemError(error: unknown): string | undefined {
  const { code, syscall, path } = (error ?? {}) as NodeJS.ErrnoException;
  if (typeof code !== 'string' || typeof syscall !== 'string' || !/^E[A-Z]+$/.test(code)) return undefined;
  const hints: Record<string, string> = {
    EACCES: 'permission denied: choose another path or make it writable for this user',
    EPERM: 'operation not permitted: choose another path or check its permissions',
    EROFS: 'the file system is read-only: choose another path',
    ENOSPC: 'the disk is full: free space or choose another path',
    ENOENT: 'a file or folder does not exist: check the path',
    ENOTDIR: 'a part of the path is a file, not a folder: check the path',
  };
  return `${hints[code] ?? 'an operating-system error'} (${code} on ${syscall}${path ? ` ${path}` : ''})`;
}

function findCommand(commands: readonly CommandDefinition[], argv: readonly string[]): { command: CommandDefinition; rest: string[] } | undefined {
  const two = argv.slice(0, 2).join(' ');
  const byTwo = commands.find((command) => command.name === two);
  if (byTwo) return { command: byTwo, rest: argv.slice(2) };
  const byOne = commands.find((command) => command.name === argv[0]);
  return byOne ? { command: byOne, rest: argv.slice(1) } : undefined;
}

/** Runs `steerlm` with `argv` (without node and the script) and returns its exit status. */
export async function runCli(argv: readonly string[], options: RunCliOptions): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const { commands } = options;
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    (first === undefined ? stderr : stdout).write(overviewHelp(commands, options.version));
    return first === undefined ? EXIT_CODES.usage : EXIT_CODES.ok;
  }
  if (first === '--version' || first === '-v') {
    stdout.write(`${options.version}\n`);
    return EXIT_CODES.ok;
  }
  const found = findCommand(commands, argv);
  if (!found) {
    const group = commands.filter((command) => command.name.startsWith(`${first} `)).map((command) => `"${command.name}"`);
    // A typo gets the nearest command: `apm trian` → `apm train`, `bootstap` → `bootstrap`.
    const second = argv[1] !== undefined && !argv[1].startsWith('-') ? argv[1] : undefined;
    const typed = group.length > 0 && second !== undefined ? `${first} ${second}` : first;
    const nearest = closestName(
      typed,
      group.length > 0
        ? commands.filter((command) => command.name.startsWith(`${first} `)).map((command) => command.name)
        : commands.map((command) => command.name),
    );
    const message =
      group.length > 0 && second === undefined
        ? `"${first}" needs a subcommand: ${group.join(', ')}`
        : group.length > 0
          ? `"${first}" has no subcommand "${second}"; it has ${group.join(', ')}`
          : `unknown command "${first}"`;
    stderr.write(
      `steerlm: error: ${message}${nearest !== undefined ? `\n  did you mean "steerlm ${nearest}"?` : ''}\n  run "steerlm --help" for the commands\n`,
    );
    return EXIT_CODES.usage;
  }
  const { command, rest } = found;
  const wantsJson = rest.includes('--json');
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => controller.abort(new Error(`interrupted by ${signal}`));
  if (options.handleSignals) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  options.signal?.addEventListener('abort', () => controller.abort(options.signal?.reason), { once: true });
  const display = new ProgressDisplay({ stream: stderr });
  try {
    const parsed = await parseCommandLine(command.options, rest, command.name);
    if (parsed.help) {
      stdout.write(commandHelp(command));
      return EXIT_CODES.ok;
    }
    const maxPositionals = command.positionals?.length ?? 0;
    const requiredPositionals = (command.positionals ?? []).filter((positional) => positional.required).length;
    if (parsed.positionals.length > maxPositionals || parsed.positionals.length < requiredPositionals) {
      throw new InvalidOptionError(
        parsed.positionals.length < requiredPositionals
          ? `"${command.name}" needs ${(command.positionals ?? []).map((positional) => `<${positional.name}>`).join(' ')}`
          : `unexpected argument ${JSON.stringify(parsed.positionals[maxPositionals])}`,
        { option: command.name, hint: `run "steerlm ${command.name} --help"` },
      );
    }
    const context: CommandContext = {
      stdout,
      stderr,
      json: parsed.json,
      signal: controller.signal,
      progress: parsed.json ? () => {} : display.listener,
      note: (line) => {
        if (!parsed.json) stderr.write(`${line}\n`);
      },
    };
    const result = await command.run(parsed.values as never, parsed.positionals, context);
    display.stop();
    if (parsed.json) stdout.write(`${JSON.stringify(result ?? null)}\n`);
    // A command that stopped early on a signal and saved what it had still exits as interrupted.
    if (controller.signal.aborted && !command.stopsOnSignal) {
      stderr.write(`steerlm ${command.name}: interrupted; what was done is saved\n`);
      return EXIT_CODES.interrupted;
    }
    return EXIT_CODES.ok;
  } catch (error) {
    display.stop();
    const usage = InvalidOptionError.isInstance(error);
    const interrupted = controller.signal.aborted && !SteerLMError.isInstance(error);
    const message = error instanceof Error ? error.message : String(error);
    const code = SteerLMError.isInstance(error) ? error.code : interrupted ? 'steerlm.interrupted' : 'steerlm.unexpected';
    stderr.write(`steerlm ${command.name}: error: ${interrupted ? 'interrupted' : message}\n`);
    if (usage) stderr.write(`  run "steerlm ${command.name} --help" for the options\n`);
    const fileError = describeSystemError(error);
    if (fileError) stderr.write(`  ${fileError}\n`);
    else if (!usage && !interrupted && !SteerLMError.isInstance(error) && error instanceof Error && error.stack) {
      stderr.write(`  this is a bug in steerlm or a library it uses; the stack:\n${error.stack}\n`);
    }
    if (wantsJson) stdout.write(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`);
    return interrupted ? EXIT_CODES.interrupted : usage ? EXIT_CODES.usage : EXIT_CODES.failed;
  } finally {
    if (options.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
