/**
 * The public API of @steerlm/cli: run the `steerlm` command line in-process, serve a model over the
 * OpenAI-compatible steering API, and load the built-in models. The commands' internals, output
 * formatting and test helpers are not exported.
 */

// The command line
export { EXIT_CODES, runCli, type RunCliOptions } from './cli/run-cli';
export type { CommandContext, CommandDefinition, PositionalSpec } from './cli/command-definition';
export type { OptionKind, OptionSpec, OptionSpecs, OptionValues } from './cli/option-spec';
export { COMMANDS } from './commands/command-list';
export { VERSION } from './version';

// The steering server
export { startSteeringServer, type SteeringServer, type SteeringServerOptions } from './server/start-steering-server';
export { createSteeringApp, type SteeringApp, type SteeringAppOptions } from './server/create-steering-app';
export type { RequestLimits } from './server/request-schemas';
export type { RequestScheduler, RequestSchedulerOptions } from './server/request-scheduler';

// The static playground (an exported model steered inside the browser)
export { servePlaygroundFolder, writePlaygroundFolder, type PlaygroundFolderServer } from './playground';

// Models
export { AttributeEchoModel, type AttributeEchoModelOptions } from './models/attribute-echo-model';
export { BUILTIN_MODELS, loadLanguageModel, type LoadedLanguageModel } from './models/load-language-model';
export type { ComputeBackend } from './models/select-compute-backend';
