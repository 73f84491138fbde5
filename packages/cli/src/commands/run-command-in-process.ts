import { PassThrough } from 'node:stream';
import { runCli } from '../cli';
import { VERSION } from '../version';
import { COMMANDS } from './command-list';

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

/** Returns the exit status and output of `steerlm ...argv` run in this process (for tests and embedding). */
export async function runCommandInProcess(argv: readonly string[], options: { signal?: AbortSignal } = {}): Promise<InProcessRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const readStdout = collect(stdout);
  const readStderr = collect(stderr);
  const code = await runCli(argv, { commands: COMMANDS, version: VERSION, stdout, stderr, ...(options.signal ? { signal: options.signal } : {}) });
  return { code, stdout: readStdout(), stderr: readStderr() };
}
