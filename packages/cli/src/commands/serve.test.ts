import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { runCommandInProcess } from '../testing/run-command-in-process';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  const lines = createInterface({ input: stream });
  for await (const line of lines) return line;
  throw new Error('the server printed nothing');
}

describe('steerlm serve', () => {
  it('serves in process until its signal aborts, then drains and stops', async () => {
    const controller = new AbortController();
    let printed = '';
    let listening!: (url: string) => void;
    const url = new Promise<string>((resolve) => (listening = resolve));
    const running = runCommandInProcess(['serve', '--model', 'attribute-echo', '--port', '0', '--json'], {
      signal: controller.signal,
      onStdout: (chunk) => {
        printed += chunk;
        if (printed.includes('\n')) listening((JSON.parse(printed.split('\n')[0]!) as { url: string }).url);
      },
    });
    // Waits for the started line (not a fixed sleep), and checks the server answers before stopping it.
    const health = await fetch(`${await url}/health`);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
    controller.abort();
    const run = await running;
    expect(run.code).toBe(0);
    const [started, ...rest] = run.stdout.trim().split('\n');
    expect(JSON.parse(started!)).toMatchObject({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), model: 'attribute-echo', backend: 'none' });
    expect(JSON.parse(rest.join('\n'))).toMatchObject({ stopped: true });
  });

  it('refuses a public host without an API key (exit 2)', async () => {
    const run = await runCommandInProcess(['serve', '--model', 'attribute-echo', '--host', '0.0.0.0', '--port', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('refusing to listen on 0.0.0.0 without an API key');
    expect(run.stderr).toContain('--api-key');
  });

  it('runs as a process: answers, then finishes an in-flight stream on SIGTERM and exits 0', async (ctx) => {
    if (!existsSync(bin) && process.env.CI !== 'true')
      ctx.skip(`${bin} is not built (run: npx turbo run build --filter=@steerlm/cli); CI=true makes this an error`);
    const child = spawn(process.execPath, [bin, 'serve', '--model', 'attribute-echo', '--port', '0', '--word-delay', '40', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const started = JSON.parse(await firstLine(child.stdout)) as { url: string; backend: string; device: string };
    expect(started).toMatchObject({ backend: 'none', device: 'built-in model (no weights)' });
    const { url } = started;
    expect(((await (await fetch(`${url}/health`)).json()) as { status: string }).status).toBe('ok');
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], stream: true, steerlm: { attributes: { humor: 2 } } }),
    });
    // SIGTERM once the first chunk arrived (the stream is provably in flight), then read the rest.
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const first = await reader.read();
    expect(first.done).toBe(false);
    let text = decoder.decode(first.value, { stream: true });
    child.kill('SIGTERM');
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value, { stream: true });
    text += decoder.decode();
    const content = [...text.matchAll(/"content":"([^"]*)"/g)].map((match) => match[1]).join('');
    expect(content).toContain('humor two');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(await exited).toBe(0);
    expect(stderr).not.toContain('error');
  });
});
