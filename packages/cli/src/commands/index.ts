export { COMMANDS } from './command-list';
export { demoCommand } from './demo';
export { generateCommand } from './generate';
export { serveCommand } from './serve';
export { MODEL_OPTIONS } from './model-options';
export { runCommandInProcess, type InProcessRun } from './run-command-in-process';
export { sftTrainCommand } from './sft-train';
