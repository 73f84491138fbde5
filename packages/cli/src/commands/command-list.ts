import type { CommandDefinition } from '../cli';
import { apmAnnotateCommand } from './apm-annotate';
import { apmEvalCommand } from './apm-eval';
import { apmTrainCommand } from './apm-train';
import { bootstrapCommand } from './bootstrap';
import { demoCommand } from './demo';
import { evalCommand } from './evaluate';
import { exportCommand } from './export';
import { generateCommand } from './generate';
import { serveCommand } from './serve';
import { sftTrainCommand } from './sft-train';

/** Every steerlm subcommand, in the order `steerlm --help` lists them. */
export const COMMANDS: readonly CommandDefinition[] = [
  demoCommand,
  apmTrainCommand,
  apmAnnotateCommand,
  apmEvalCommand,
  sftTrainCommand,
  bootstrapCommand,
  evalCommand,
  generateCommand,
  exportCommand,
  serveCommand,
] as unknown as readonly CommandDefinition[];
