import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { defineCommand } from './command-definition';
import { EXIT_CODES, runCli } from './run-cli';

function streams() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  return { stdout, stderr, text: () => ({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }) };
}

/** A command that stops early when its signal aborts and returns what it did. */
const work = defineCommand({
  name: 'work',
  summary: 'test',
  options: {},
  async run(_values, _positionals, context) {
    await new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }));
    return { completed: false };
  },
});
const serve = defineCommand({ ...work, name: 'serve-like', stopsOnSignal: true });
const failing = defineCommand({
  name: 'write',
  summary: 'test',
  options: {},
  run: async () => {
    throw Object.assign(new Error("EACCES: permission denied, open '/locked/out.jsonl'"), {
      code: 'EACCES',
      syscall: 'open',
      path: '/locked/out.jsonl',
      errno: -13,
    });
  },
});

describe('runCli exit codes', () => {
  it('exits 130 when a signal stopped a command that then returned its partial result', async () => {
    const io = streams();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('interrupted by SIGTERM')), 20);
    const code = await runCli(['work', '--json'], { commands: [work], version: '0', stdout: io.stdout, stderr: io.stderr, signal: controller.signal });
    expect(code).toBe(EXIT_CODES.interrupted);
    expect(JSON.parse(io.text().stdout)).toEqual({ completed: false });
    expect(io.text().stderr).toContain('steerlm work: interrupted');
  });

  it('exits 0 for a command whose normal stop is a signal (a server)', async () => {
    const io = streams();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    expect(await runCli(['serve-like'], { commands: [serve], version: '0', stdout: io.stdout, stderr: io.stderr, signal: controller.signal })).toBe(0);
  });

  it('reports an operating-system error with a hint and the path, not as a bug with a stack', async () => {
    const io = streams();
    expect(await runCli(['write'], { commands: [failing], version: '0', stdout: io.stdout, stderr: io.stderr })).toBe(EXIT_CODES.failed);
    const { stderr } = io.text();
    expect(stderr).toContain('permission denied: choose another path or make it writable for this user (EACCES on open /locked/out.jsonl)');
    expect(stderr).not.toContain('this is a bug');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
