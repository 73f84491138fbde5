#!/usr/bin/env node
import { runCli } from './cli';
import { COMMANDS } from './commands/command-list';
import { VERSION } from './version';

process.exitCode = await runCli(process.argv.slice(2), { commands: COMMANDS, version: VERSION, handleSignals: true });
// Libraries may hold handles (a GPU device, worker pools) after the command is done; do not wait on them.
setTimeout(() => process.exit(), 1000).unref();
