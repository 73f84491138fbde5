import type { CommandDefinition } from './command-definition';
import { GLOBAL_OPTIONS } from './parse-command-line';
import type { OptionSpecs } from './option-spec';

function optionLines(specs: OptionSpecs): string[] {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.kind === 'boolean' ? '' : ` ${spec.valueName ?? spec.kind.toUpperCase()}`}`;
    const extras = [
      spec.required ? 'required' : undefined,
      spec.default !== undefined ? `default ${String(spec.default)}` : undefined,
      spec.choices ? `one of ${spec.choices.join(', ')}` : undefined,
    ].filter((extra) => extra !== undefined);
    return [flag, `${spec.description}${extras.length > 0 ? ` (${extras.join('; ')})` : ''}`] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
}

/** Returns the `--help` text of one command. */
export function commandHelp(command: CommandDefinition): string {
  const positionals = (command.positionals ?? []).map((positional) => (positional.required ? ` <${positional.name}>` : ` [${positional.name}]`)).join('');
  const lines = [`Usage: steerlm ${command.name}${positionals} [options]`, '', command.summary, ''];
  if (command.positionals && command.positionals.length > 0) {
    lines.push('Arguments:', ...command.positionals.map((positional) => `  ${positional.name}  ${positional.description}`), '');
  }
  lines.push('Options:', ...optionLines(command.options), ...optionLines(GLOBAL_OPTIONS));
  if (command.details) lines.push('', command.details.trim());
  return `${lines.join('\n')}\n`;
}

/** Returns the overview printed by `steerlm --help`: every command and its summary. */
export function overviewHelp(commands: readonly CommandDefinition[], version: string): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    `steerlm ${version}: SteerLM attribute-conditioned fine-tuning, steering server and SteerBench demo`,
    '',
    'Usage: steerlm <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Every command takes --help, --config FILE (JSON options; flags override them) and --json.',
    'Exit codes: 0 done, 1 failed (the message says what to fix), 2 usage error, 130 interrupted.',
    '',
  ].join('\n');
}
