import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttributeEchoModel } from '../models';
import { hostName, isAllowedHost } from './request-guards';
import { startSteeringServer, type SteeringServer } from './start-steering-server';

let server: SteeringServer;
let withCors: SteeringServer;
beforeAll(async () => {
  const common = { model: new AttributeEchoModel(), port: 0, maxBodyBytes: 4_096, log: () => {} };
  server = await startSteeringServer({ ...common, allowedHosts: ['steer.box'], maxHeaderBytes: 2_048, receiveTimeoutMs: 600, idleTimeoutMs: 400 });
  withCors = await startSteeringServer({ ...common, corsOrigin: 'https://app.example' });
});
afterAll(async () => {
  await Promise.all([server.close(), withCors.close()]);
});

const BODY = JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }] });

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** Whether the server closed the connection, and after how many ms. */
  closedAfterMs: number | undefined;
}

/** Sends raw bytes on a new connection and collects what comes back until the server closes or `waitMs` pass. */
function raw(target: SteeringServer, chunks: (string | Buffer)[], waitMs = 1_500): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(target.port, '127.0.0.1');
    const started = performance.now();
    let received = '';
    let closedAfterMs: number | undefined;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const [head = '', ...rest] = received.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, text: rest.join('\r\n\r\n'), closedAfterMs });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('end', () => {
      closedAfterMs = performance.now() - started;
      finish();
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' ? ((closedAfterMs = performance.now() - started), finish()) : reject(error),
    );
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
    });
  });
}

function post(host: string, headers: Record<string, string> = {}, body = BODY): string {
  const lines = [`POST /v1/chat/completions HTTP/1.1`, `Host: ${host}`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`];
  for (const [name, value] of Object.entries(headers)) {
    const index = lines.findIndex((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    if (index !== -1) lines.splice(index, 1);
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

describe('Host and Origin checks on a loopback server (DNS rebinding, CSRF)', () => {
  it('answers loopback names and the allowed hosts, refuses any other Host with 403', async () => {
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `[::1]:${server.port}`, 'steer.box', `steer.box:${server.port}`]) {
      expect((await raw(server, [post(host, { Connection: 'close' })])).status, host).toBe(200);
    }
    const rebound = await raw(server, [post('evil.example', { Connection: 'close' })]);
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.text)).toMatchObject({
      error: { type: 'permission_error', message: expect.stringContaining('the Host header "evil.example" does not name this server') },
    });
    // GET routes too: a rebound page must not read the model list or the playground.
    expect((await raw(server, [`GET /v1/models HTTP/1.1\r\nHost: evil.example:${server.port}\r\nConnection: close\r\n\r\n`])).status).toBe(403);
    expect((await raw(server, [`GET / HTTP/1.1\r\nHost: attacker.test\r\nConnection: close\r\n\r\n`])).status).toBe(403);
  });

  it('refuses a cross-origin page (403) but not the server itself or the CORS origin', async () => {
    const host = `127.0.0.1:${server.port}`;
    expect((await raw(server, [post(host, { Origin: 'http://evil.example', Connection: 'close' })])).status).toBe(403);
    expect((await raw(server, [post(host, { Origin: 'null', Connection: 'close' })])).status).toBe(403);
    expect((await raw(server, [post(host, { Origin: `http://${host}`, Connection: 'close' })])).status).toBe(200);
    const corsHost = `127.0.0.1:${withCors.port}`;
    const allowed = await raw(withCors, [post(corsHost, { Origin: 'https://app.example', Connection: 'close' })]);
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    expect((await raw(withCors, [post(corsHost, { Origin: 'https://other.example', Connection: 'close' })])).status).toBe(403);
  });

  it('needs a JSON body: text/plain (what a page can post without a preflight) gets 415', async () => {
    const host = `127.0.0.1:${server.port}`;
    const plain = await raw(server, [post(host, { 'Content-Type': 'text/plain', Connection: 'close' })]);
    expect(plain.status).toBe(415);
    expect(plain.text).toContain('the request body must be JSON, got Content-Type \\"text/plain\\"');
    expect((await raw(server, [post(host, { 'Content-Type': 'application/x-www-form-urlencoded', Connection: 'close' })])).status).toBe(415);
    expect((await raw(server, [post(host, { 'Content-Type': 'application/json; charset=utf-8', Connection: 'close' })])).status).toBe(200);
  });

  it('parses Host headers', () => {
    expect(hostName('127.0.0.1:8000')).toBe('127.0.0.1');
    expect(hostName('[::1]:8000')).toBe('::1');
    expect(hostName('Example.COM.')).toBe('example.com');
    expect(isAllowedHost('foo.localhost:1', [])).toBe(true);
    expect(isAllowedHost('127.9.9.9', [])).toBe(true);
    expect(isAllowedHost('128.0.0.1', [])).toBe(false);
    expect(isAllowedHost('anything', ['*'])).toBe(true);
    expect(isAllowedHost('', [])).toBe(false);
  });
});

describe('connection limits', () => {
  it('on 413 says Connection: close and closes, so the client is never left waiting', async () => {
    const host = `127.0.0.1:${server.port}`;
    const big = JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(50_000) }] });
    const answer = await raw(server, [post(host, {}, big)], 3_000);
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
    expect(answer.closedAfterMs).toBeDefined();
  });

  it('answers a request head over the header cap with 431', async () => {
    const answer = await raw(server, [`GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'a'.repeat(4_000)}\r\n\r\n`]);
    expect(answer.status).toBe(431);
  });

  it('closes a connection that sends its request too slowly (408), and idle keep-alive connections', async () => {
    // Half a request head, then nothing (slowloris): receiveTimeoutMs 600, checked every 600 ms.
    const slow = await raw(server, [`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n`], 4_000);
    expect(slow.closedAfterMs).toBeDefined();
    expect(slow.closedAfterMs!).toBeLessThan(3_000);
    expect(slow.status).toBe(408);
    // A complete request, then an idle keep-alive connection: closed after idleTimeoutMs 400.
    const idle = await raw(server, [`GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`], 4_000);
    expect(idle.status).toBe(200);
    expect(idle.closedAfterMs).toBeDefined();
    expect(idle.closedAfterMs!).toBeLessThan(2_000);
  });
});
