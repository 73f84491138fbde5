/** The value kinds a command-line option can take. */
export type OptionKind = 'string' | 'integer' | 'number' | 'boolean';

/** One option of a command: its kind, help text and default. */
export interface OptionSpec {
  readonly kind: OptionKind;
  readonly description: string;
  /** A one-letter alias, e.g. `o` for `-o`. */
  readonly short?: string;
  /** The placeholder in help, e.g. `FILE` (default: the kind in capitals). */
  readonly valueName?: string;
  readonly default?: string | number | boolean;
  /** The command refuses to run without it (after merging the config file). */
  readonly required?: boolean;
  /** Allowed values (string options). */
  readonly choices?: readonly string[];
  /** The smallest allowed value (number and integer options). */
  readonly min?: number;
}

/** Options by their long name (kebab-case, as typed on the command line). */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type ValueOf<Spec extends OptionSpec> = Spec['kind'] extends 'boolean' ? boolean : Spec['kind'] extends 'string' ? string : number;

/** The parsed values of `Specs`: required options and options with defaults are always present. */
export type OptionValues<Specs extends OptionSpecs> = {
  readonly [Name in keyof Specs]: Specs[Name] extends { required: true } | { default: string | number | boolean }
    ? ValueOf<Specs[Name]>
    : ValueOf<Specs[Name]> | undefined;
};
