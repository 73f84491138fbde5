import { execFile, execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { runCommandInProcess, type InProcessRun } from '../run-command-in-process';
import type { DocBlock } from './doc-blocks';
import { shellCommands, shellWords, type ShellCommand } from './shell-commands';

/** Where the docs run and what is running for them. */
export interface DocRunContext {
  /** The repository root. */
  readonly root: string;
  /** The fixture folder: the working directory of every command and snippet. */
  readonly folder: string;
  /** Running servers: the port a doc names (8000) → the base URL of the server started for it. */
  readonly servers: Map<number, string>;
}

/**
 * A setup hook, named by `<!-- docs-test: setup NAME ARGS -->`: it runs before the block (or, for a
 * file-level directive, before each block of the file) with the directive's words after NAME, may set
 * environment variables in `process.env` (restored after the block) or start servers, and returns what
 * undoes it.
 */
export type DocSetupHook = (args: readonly string[], context: DocRunContext) => Promise<() => Promise<void>>;

/** What happened to one block or command. */
export interface DocStep {
  readonly where: string;
  readonly what: string;
  /** Why it was not run; undefined when it ran. */
  readonly notRun?: string;
  /** The output, for assertions on key outputs. */
  readonly output?: string;
  /** How long it ran. */
  readonly ms?: number;
}

/** A server started for the docs (a documented `steerlm serve`). */
interface RunningServer {
  readonly url: string;
  readonly stop: () => Promise<InProcessRun>;
}

const SNIPPET_TIMEOUT_MS = 180_000;

/** The last lines of a program's output, each cut short (minified bundles print whole files in a stack). */
function tail(text: string, lines = 30): string {
  return text
    .trim()
    .split('\n')
    .slice(-lines)
    .map((line) => (line.length > 300 ? `${line.slice(0, 300)}…` : line))
    .join('\n');
}

/** Replaces host:PORT of every running server's documented port by the address it really listens on. */
export function rewritePorts(text: string, servers: ReadonlyMap<number, string>): string {
  let result = text;
  for (const [port, url] of servers) result = result.replace(new RegExp(`https?://(?:127\\.0\\.0\\.1|localhost|0\\.0\\.0\\.0):${port}(?!\\d)`, 'g'), url);
  return result;
}

function optionValue(argv: readonly string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : argv.find((word) => word.startsWith(`${name}=`))?.slice(name.length + 1);
}

/**
 * Starts `steerlm serve …argv` in this process on a free port (the one it names, default 8000, is then
 * mapped to it in later commands and snippets) and waits until /health answers.
 */
export async function startDocServer(argv: readonly string[], context: DocRunContext): Promise<RunningServer> {
  const documentedPort = Number(optionValue(argv, '--port') ?? 8000);
  const args = [...argv.filter((word, index) => word !== '--port' && argv[index - 1] !== '--port' && !word.startsWith('--port=')), '--port', '0'];
  const controller = new AbortController();
  let stderr = '';
  let resolveUrl: (url: string) => void = () => {};
  const listening = new Promise<string>((resolve) => (resolveUrl = resolve));
  const run = runCommandInProcess(args, {
    signal: controller.signal,
    onStderr: (chunk) => {
      stderr += chunk;
      const match = /API at (https?:\/\/[^\s/]+)\/v1/.exec(stderr);
      if (match) resolveUrl(match[1]!.replace('0.0.0.0', '127.0.0.1'));
    },
  });
  const url = await Promise.race([listening, run.then((result) => Promise.reject(new Error(`serve exited ${result.code}: ${tail(result.stderr)}`)))]);
  const health = await fetch(`${url}/health`);
  if (!health.ok) throw new Error(`serve: GET /health answered ${health.status}`);
  context.servers.set(documentedPort, url);
  return {
    url,
    stop: async () => {
      context.servers.delete(documentedPort);
      controller.abort();
      return run;
    },
  };
}

/** The `curl` options the docs use, as a fetch: -s, -S, -f, -H, -d/--data, -X, and the URL. */
async function runCurl(words: readonly string[], context: DocRunContext): Promise<string> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  let method: string | undefined;
  let url: string | undefined;
  for (let index = 0; index < words.length; index++) {
    const word = words[index]!;
    if (word === '-H' || word === '--header') {
      const header = words[++index]!;
      const colon = header.indexOf(':');
      headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
    } else if (word === '-d' || word === '--data' || word === '--data-raw') body = words[++index]!;
    else if (word === '-X' || word === '--request') method = words[++index]!;
    else if (/^-[sSfN]+$/.test(word)) continue;
    else if (word.startsWith('-')) throw new Error(`curl option ${word} is not known to the docs test (run-doc-block.ts)`);
    else url = rewritePorts(word, context.servers);
  }
  if (!url) throw new Error('curl without a URL');
  const response = await fetch(url, { method: method ?? (body === undefined ? 'GET' : 'POST'), headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  if (!response.ok) throw new Error(`curl ${url}: HTTP ${response.status} ${text.slice(0, 1000)}`);
  return text;
}

/** Expands `$(command)` (run by bash in the fixture folder) and `$NAME` / `${NAME}` in a word. */
function expandWord(word: string, context: DocRunContext): string {
  return word
    .replace(/\$\((.+)\)/g, (_, command: string) => execFileSync('bash', ['-c', command], { cwd: context.folder, encoding: 'utf8' }).trim())
    .replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (_, name: string) => process.env[name] ?? '');
}

/** Runs a program in the fixture folder, with its node_modules/.bin first on PATH; rejects on a nonzero exit. */
function runProcess(file: string, args: readonly string[], context: DocRunContext, timeout = SNIPPET_TIMEOUT_MS): Promise<string> {
  const env = { ...process.env, PATH: `${join(context.folder, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` };
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { cwd: context.folder, env, timeout, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file === process.execPath ? 'node' : file} exited ${error.code ?? error.signal}\n${tail(stdout, 10)}\n${tail(stderr)}`));
      else resolve(stdout);
    });
  });
}

/** Runs the commands of a shell block in order; a failing command ends the block. */
async function runShellBlock(block: DocBlock, context: DocRunContext, steps: DocStep[]): Promise<void> {
  const servers: RunningServer[] = [];
  const stopServers = async () => {
    for (const server of servers.splice(0)) {
      const result = await server.stop();
      if (result.code !== 0) throw new Error(`serve stopped with exit code ${result.code} (a signal should give 0): ${tail(result.stderr)}`);
    }
  };
  try {
    for (const command of shellCommands(block.code, block.line)) {
      const where = `${block.file}:${command.line}`;
      if (command.notRun !== undefined) {
        steps.push({ where, what: command.text, notRun: command.notRun });
        continue;
      }
      const started = performance.now();
      const output = await runShellCommand(command, context, servers, stopServers).catch((error: unknown) => {
        throw new Error(`${where}: \`${command.text}\` failed: ${(error as Error).message}`);
      });
      steps.push({ where, what: command.text, output, ms: performance.now() - started });
    }
  } finally {
    await stopServers();
  }
}

async function runShellCommand(command: ShellCommand, context: DocRunContext, servers: RunningServer[], stopServers: () => Promise<void>): Promise<string> {
  const words = command.words.map((word) => expandWord(word, context));
  const [program, ...args] = words;
  if (program === 'steerlm' && args[0] === 'serve') {
    await stopServers(); // one server at a time, as a reader runs them
    const server = await startDocServer(args, context);
    servers.push(server);
    return server.url;
  }
  if (program === 'steerlm') {
    const run = await runCommandInProcess(args);
    if (run.code !== 0) throw new Error(`exit code ${run.code}\n${tail(run.stdout, 10)}\n${tail(run.stderr)}`);
    return `${run.stdout}${run.stderr}`;
  }
  if (program === 'curl') return runCurl(args, context);
  const quoted = words.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`));
  return runProcess('bash', ['-c', rewritePorts(quoted.join(' '), context.servers)], context);
}

/** Writes a TypeScript block (after the block it continues) to the fixture folder and runs it with tsx. */
async function runScriptBlock(block: DocBlock, code: string, context: DocRunContext): Promise<string> {
  const folder = join(context.folder, '.docs-snippets');
  await mkdir(folder, { recursive: true });
  const file = join(folder, `${basename(block.file, '.md')}-${block.line}.${block.lang === 'js' ? 'js' : 'ts'}`);
  await writeFile(file, `${rewritePorts(code, context.servers)}\nexport {};\n`);
  return runProcess(process.execPath, ['--import', 'tsx', file], context);
}

/** Checks a JSON block parses (the docs' data shapes), or reports where it does not. */
function checkJsonBlock(block: DocBlock): string {
  try {
    return JSON.stringify(JSON.parse(block.code));
  } catch (error) {
    throw new Error(`${block.file}:${block.line}: the JSON block does not parse: ${(error as Error).message}`);
  }
}

/**
 * Runs one block of the docs in `context.folder` and appends what it did to `steps`: shell commands
 * (`steerlm` in this process, `steerlm serve` started on a free port and stopped after the block, `curl`
 * as the equivalent fetch, anything else through bash), TypeScript through tsx against the workspace
 * builds, JSON parsed. `previousCode` is the code of the block before, for a block that continues it.
 * Throws, naming the doc line, when a command or snippet fails.
 */
export async function runDocBlock(
  block: DocBlock,
  context: DocRunContext,
  hooks: Readonly<Record<string, DocSetupHook>>,
  steps: DocStep[],
  previousCode = '',
): Promise<void> {
  const where = `${block.file}:${block.line}`;
  if (block.notRun !== undefined) {
    steps.push({ where, what: `${block.lang || 'text'} block`, notRun: block.notRun });
    return;
  }
  if (block.lang === '') {
    steps.push({ where, what: 'text block', notRun: 'plain text (a formula or an output shown), not a command or a program' });
    return;
  }
  const savedEnv = { ...process.env };
  const teardowns: (() => Promise<void>)[] = [];
  try {
    for (const directive of block.directives) {
      const [kind, ...rest] = shellWords(directive);
      if (kind === 'env') {
        for (const pair of rest) process.env[pair.slice(0, pair.indexOf('='))] = pair.slice(pair.indexOf('=') + 1);
      } else if (kind === 'setup') {
        const hook = hooks[rest[0] ?? ''];
        if (!hook) throw new Error(`${where}: no docs-test setup hook "${rest[0]}" (known: ${Object.keys(hooks).join(', ')})`);
        teardowns.push(await hook(rest.slice(1), context));
      } else throw new Error(`${where}: unknown docs-test directive "${directive}" (env, setup)`);
    }
    if (['sh', 'bash', 'shell'].includes(block.lang)) await runShellBlock(block, context, steps);
    else if (['ts', 'js', 'typescript', 'javascript'].includes(block.lang)) {
      const started = performance.now();
      const output = await runScriptBlock(block, block.continues ? `${previousCode}\n${block.code}` : block.code, context).catch((error: unknown) => {
        throw new Error(`${where}: the ${block.lang} block failed: ${(error as Error).message}`);
      });
      steps.push({ where, what: `${block.lang} block`, output, ms: performance.now() - started });
    } else if (block.lang === 'json') steps.push({ where, what: 'json block', output: checkJsonBlock(block) });
    else throw new Error(`${where}: the docs test does not know how to run a \`${block.lang}\` block; mark it *Not run by the docs test: why.*`);
  } finally {
    for (const teardown of teardowns.reverse()) await teardown();
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
  }
}
