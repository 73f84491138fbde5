import type { CommandDefinition } from '../cli';
import { apmAnnotateCommand } from './apm-annotate';
import { apmEvalCommand } from './apm-eval';
import { apmTrainCommand } from './apm-train';
import { bootstrapCommand } from './bootstrap';
import { dataConvertCommand } from './data-convert';
import { dataSplitCommand } from './data-split';
import { dataStatsCommand } from './data-stats';
import { demoCommand } from './demo';
import { evalCommand } from './evaluate';
import { exportCommand } from './export';
import { generateCommand } from './generate';
import { playgroundCommand } from './playground';
import { serveCommand } from './serve';
import { sftTrainCommand } from './sft-train';

/** Every steerlm subcommand, in the order `steerlm --help` lists them. */
export const COMMANDS: readonly CommandDefinition[] = [
  demoCommand,
  dataConvertCommand,
  dataSplitCommand,
  dataStatsCommand,
  apmTrainCommand,
  apmAnnotateCommand,
  apmEvalCommand,
  sftTrainCommand,
  bootstrapCommand,
  evalCommand,
  generateCommand,
  exportCommand,
  serveCommand,
  playgroundCommand,
] as unknown as readonly CommandDefinition[];
