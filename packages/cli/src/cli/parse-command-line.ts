import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { InvalidOptionError } from '@steerlm/core';
import type { OptionSpec, OptionSpecs } from './option-spec';

/** The parsed command line of one subcommand. */
export interface ParsedCommandLine {
  readonly values: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly positionals: readonly string[];
  readonly help: boolean;
  readonly json: boolean;
}

/** The options every command takes. */
export const GLOBAL_OPTIONS: OptionSpecs = {
  help: { kind: 'boolean', short: 'h', description: 'show this help' },
  config: { kind: 'string', valueName: 'FILE', description: 'a JSON file of options ({ "option-name": value }); flags override it' },
  json: { kind: 'boolean', description: 'print the result as one JSON document on stdout' },
};

function convert(name: string, spec: OptionSpec, raw: unknown, source: string): string | number | boolean {
  const where = `${source} --${name}`;
  if (spec.kind === 'boolean') {
    if (typeof raw !== 'boolean') throw new InvalidOptionError(`${where} must be true or false, got ${JSON.stringify(raw)}`, { option: name });
    return raw;
  }
  if (spec.kind === 'string') {
    if (typeof raw !== 'string') throw new InvalidOptionError(`${where} must be a string, got ${JSON.stringify(raw)}`, { option: name });
    if (spec.choices && !spec.choices.includes(raw)) {
      throw new InvalidOptionError(`${where} must be one of ${spec.choices.join(', ')}, got ${JSON.stringify(raw)}`, { option: name });
    }
    return raw;
  }
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(value) || (spec.kind === 'integer' && !Number.isSafeInteger(value))) {
    throw new InvalidOptionError(`${where} must be ${spec.kind === 'integer' ? 'an integer' : 'a number'}, got ${JSON.stringify(raw)}`, { option: name });
  }
  if (spec.min !== undefined && value < spec.min) {
    throw new InvalidOptionError(`${where} must be at least ${spec.min}, got ${value}`, { option: name });
  }
  return value;
}

async function readConfig(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InvalidOptionError(`cannot read the config file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      option: 'config',
      file,
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidOptionError(`the config file is not valid JSON: ${(error as Error).message}`, { option: 'config', file, cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidOptionError('the config file must hold a JSON object of options, e.g. { "max-tokens": 64 }', { option: 'config', file });
  }
  return parsed as Record<string, unknown>;
}

function toKebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/**
 * Returns the values of `argv` for a command with `specs`: flags over `--config` file values over
 * defaults, each checked against its kind; unknown options and missing required ones throw
 * InvalidOptionError (a usage error).
 */
export async function parseCommandLine(specs: OptionSpecs, argv: readonly string[], command: string): Promise<ParsedCommandLine> {
  const all: OptionSpecs = { ...specs, ...GLOBAL_OPTIONS };
  const parseOptions: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(all)) {
    parseOptions[name] = { type: spec.kind === 'boolean' ? 'boolean' : 'string', ...(spec.short ? { short: spec.short } : {}) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: parseOptions, allowPositionals: true, strict: true, allowNegative: true });
  } catch (error) {
    throw new InvalidOptionError(`${(error as Error).message.replace(/\. To specify a positional argument.*$/s, '')}`, {
      option: command,
      cause: error,
    });
  }
  const flags = parsed.values as Record<string, string | boolean | undefined>;
  const values: Record<string, string | number | boolean | undefined> = {};
  if (typeof flags.config === 'string') {
    const config = await readConfig(flags.config);
    for (const [key, raw] of Object.entries(config)) {
      const name = toKebab(key);
      const spec = specs[name];
      if (!spec) {
        throw new InvalidOptionError(`unknown option "${key}" in the config file`, {
          option: 'config',
          file: flags.config,
          hint: `"${command}" takes: ${Object.keys(specs).join(', ')}`,
        });
      }
      values[name] = convert(name, spec, raw, `config file ${flags.config}:`);
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    const raw = flags[name];
    if (raw !== undefined) values[name] = convert(name, spec, raw, 'option');
    if (values[name] === undefined && spec.default !== undefined) values[name] = spec.default;
  }
  const help = flags.help === true;
  if (!help) {
    for (const [name, spec] of Object.entries(specs)) {
      if (spec.required && values[name] === undefined) {
        throw new InvalidOptionError(`"${command}" needs --${name}`, { option: name, hint: `${spec.description}; run "steerlm ${command} --help"` });
      }
    }
  }
  return { values, positionals: parsed.positionals, help, json: flags.json === true };
}
