import type { ProgressListener } from '@steerlm/core';
import type { OptionSpecs, OptionValues } from './option-spec';

/** What a command gets to talk to the user: output streams, the --json switch and a progress listener. */
export interface CommandContext {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** `--json`: print one JSON document on stdout instead of tables and prose. */
  readonly json: boolean;
  /** Feeds progress bars on stderr (silent in --json mode). */
  readonly progress: ProgressListener;
  /** Aborts on SIGINT/SIGTERM; long commands stop at the next step and save what they can. */
  readonly signal: AbortSignal;
  /** Writes a line of prose to stderr (suppressed in --json mode). */
  note(line: string): void;
}

/** One positional argument of a command. */
export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
  readonly required?: boolean;
}

/** A subcommand: its name (e.g. `apm train`), help and what it does. */
export interface CommandDefinition<Specs extends OptionSpecs = OptionSpecs> {
  readonly name: string;
  readonly summary: string;
  /** Extra help paragraphs (examples) after the option list. */
  readonly details?: string;
  readonly options: Specs;
  readonly positionals?: readonly PositionalSpec[];
  /** SIGINT/SIGTERM is this command's normal way to stop (a server): it exits 0 then, not 130. */
  readonly stopsOnSignal?: boolean;
  /** Runs the command; returns a JSON-ready result, which --json prints (the command prints its own prose). */
  run(values: OptionValues<Specs>, positionals: readonly string[], context: CommandContext): Promise<unknown>;
}

/** Returns the command unchanged, typed from its option specs (so `run` sees typed values). */
export function defineCommand<const Specs extends OptionSpecs>(definition: CommandDefinition<Specs>): CommandDefinition<Specs> {
  return definition;
}
