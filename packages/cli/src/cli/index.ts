export { defineCommand, type CommandContext, type CommandDefinition, type PositionalSpec } from './command-definition';
export type { OptionKind, OptionSpec, OptionSpecs, OptionValues } from './option-spec';
export { GLOBAL_OPTIONS, parseCommandLine, type ParsedCommandLine } from './parse-command-line';
export { commandHelp, overviewHelp } from './usage-text';
export { EXIT_CODES, runCli, type RunCliOptions } from './run-cli';
