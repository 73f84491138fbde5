import { request } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli';
import { VERSION } from '../version';
import { COMMANDS } from './command-list';

/** GET `path` with an explicit Host header (fetch cannot set one). */
function get(url: string, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const sent = request({ host: target.hostname, port: target.port, path, headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    sent.on('error', reject);
    sent.end();
  });
}

describe('steerlm serve --allowed-hosts', () => {
  it('accepts loopback names and the listed hosts, refuses others with 403', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stderr.resume();
    const controller = new AbortController();
    const running = runCli(['serve', '--model', 'attribute-echo', '--port', '0', '--json', '--allowed-hosts', 'box.lan, steer.box', '--idle-timeout', '2'], {
      commands: COMMANDS,
      version: VERSION,
      stdout,
      stderr,
      signal: controller.signal,
    });
    const line = await new Promise<string>((resolve) => stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().split('\n')[0]!)));
    const { url } = JSON.parse(line) as { url: string };
    expect(await get(url, '/health', 'box.lan')).toBe(200);
    expect(await get(url, '/health', 'steer.box:8000')).toBe(200);
    expect(await get(url, '/health', 'localhost')).toBe(200);
    expect(await get(url, '/health', 'evil.example')).toBe(403);
    controller.abort();
    expect(await running).toBe(0);
  });
});
