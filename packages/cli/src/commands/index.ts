import type { CommandDefinition } from '../cli';
import { demoCommand } from './demo';
import { generateCommand } from './generate';
import { serveCommand } from './serve';

export { demoCommand } from './demo';
export { generateCommand } from './generate';
export { serveCommand } from './serve';
export { MODEL_OPTIONS } from './model-options';

/** Every steerlm subcommand, in the order `steerlm --help` lists them. */
export const COMMANDS: readonly CommandDefinition[] = [demoCommand, generateCommand, serveCommand] as unknown as readonly CommandDefinition[];
