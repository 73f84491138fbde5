import type { CommandDefinition } from '../cli';
import { demoCommand } from './demo';
import { generateCommand } from './generate';
import { serveCommand } from './serve';
import { sftTrainCommand } from './sft-train';

/** Every steerlm subcommand, in the order `steerlm --help` lists them. */
export const COMMANDS: readonly CommandDefinition[] = [demoCommand, sftTrainCommand, generateCommand, serveCommand] as unknown as readonly CommandDefinition[];
