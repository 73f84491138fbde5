import { PassThrough } from 'node:stream';
import { runCli } from '../cli';
import { VERSION } from '../version';
import { COMMANDS } from '../commands/command-list';

/** What an in-process run of steerlm printed and returned. */
export interface InProcessRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('utf8');
}

/** Options of an in-process run. */
export interface InProcessRunOptions {
  /** Aborts the command (as SIGINT/SIGTERM would). */
  readonly signal?: AbortSignal;
  /** Called with each chunk the command writes to stdout, as it writes it (e.g. to wait for a server's URL). */
  readonly onStdout?: (chunk: string) => void;
  /** Called with each chunk the command writes to stderr, as it writes it (e.g. to wait for a server's notes). */
  readonly onStderr?: (chunk: string) => void;
}

/** Returns the exit status and output of `steerlm ...argv` run in this process (a test helper). */
export async function runCommandInProcess(argv: readonly string[], options: InProcessRunOptions = {}): Promise<InProcessRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  if (options.onStdout) {
    const onStdout = options.onStdout;
    stdout.on('data', (chunk: Buffer) => onStdout(chunk.toString('utf8')));
  }
  if (options.onStderr) {
    const onStderr = options.onStderr;
    stderr.on('data', (chunk: Buffer) => onStderr(chunk.toString('utf8')));
  }
  const readStdout = collect(stdout);
  const readStderr = collect(stderr);
  const code = await runCli(argv, { commands: COMMANDS, version: VERSION, stdout, stderr, ...(options.signal ? { signal: options.signal } : {}) });
  return { code, stdout: readStdout(), stderr: readStderr() };
}
