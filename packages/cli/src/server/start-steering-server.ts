import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { InvalidOptionError } from '@steerlm/core';
import { createSteeringApp, type SteeringAppOptions } from './create-steering-app';
import { isLoopbackHost } from './request-guards';
import { ServerRequestError } from './server-request-error';

export { isLoopbackHost };

export interface SteeringServerOptions extends SteeringAppOptions {
  /** The interface to bind (default 127.0.0.1); any other than loopback needs `apiKey`. */
  readonly host?: string;
  /** The port (default 8000; 0 picks a free one). */
  readonly port?: number;
  /**
   * Host names clients may use besides the loopback ones. On a loopback listener every request's Host
   * must be one of these or a loopback name (DNS rebinding); on another interface the check is on only
   * when this is given (the bound host is then accepted too). `*` accepts any name.
   */
  readonly allowedHosts?: readonly string[];
  /** The largest request head (request line and headers) in bytes; larger ones get 431 (default 16384). */
  readonly maxHeaderBytes?: number;
  /** Milliseconds a client has to send a whole request, headers and body (default 30000); then 408. */
  readonly receiveTimeoutMs?: number;
  /** Milliseconds an idle keep-alive connection stays open between requests (default 5000). */
  readonly idleTimeoutMs?: number;
}

/** A running steering server. */
export interface SteeringServer {
  /** The base URL, e.g. `http://127.0.0.1:8000` (the OpenAI base URL is this plus `/v1`). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Returns how many requests run and wait now. */
  load(): { active: number; queued: number };
  /**
   * Stops accepting requests, lets those in flight finish (up to `graceMs`, default 30000, after which
   * they are aborted) and closes the listener; resolves when everything is closed.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Returns a started OpenAI-compatible steering server over `options.model`; refuses to bind a
 * non-loopback host without an API key.
 */
export async function startSteeringServer(options: SteeringServerOptions): Promise<SteeringServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8000;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidOptionError(`port must be an integer from 0 to 65535, got ${String(port)}`, { option: 'port' });
  }
  if (!isLoopbackHost(host) && (options.apiKey === undefined || options.apiKey === '')) {
    throw new InvalidOptionError(`refusing to listen on ${host} without an API key: anyone who can reach it could use the model`, {
      option: 'host',
      hint: 'add --api-key <secret> (clients send "Authorization: Bearer <secret>"), or bind 127.0.0.1',
    });
  }
  if (options.apiKey !== undefined && options.apiKey.length < 8) {
    throw new InvalidOptionError('the API key is shorter than 8 characters', { option: 'api-key', hint: 'use a long random secret' });
  }
  const maxHeaderBytes = options.maxHeaderBytes ?? 16_384;
  const receiveTimeoutMs = options.receiveTimeoutMs ?? 30_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 5_000;
  for (const [name, value] of [
    ['maxHeaderBytes', maxHeaderBytes],
    ['receiveTimeoutMs', receiveTimeoutMs],
    ['idleTimeoutMs', idleTimeoutMs],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new InvalidOptionError(`${name} must be a positive integer, got ${String(value)}`, { option: name });
  }
  const allowedHosts = isLoopbackHost(host) ? [...(options.allowedHosts ?? [])] : options.allowedHosts ? [host, ...options.allowedHosts] : undefined;
  const steering = createSteeringApp({ ...options, ...(allowedHosts ? { allowedHosts } : {}) });
  const server = await new Promise<Server>((resolve, reject) => {
    const created = serve(
      {
        fetch: steering.app.fetch,
        hostname: host,
        port,
        // Checked every second or so: headersTimeout and requestTimeout are enforced on this tick.
        serverOptions: { maxHeaderSize: maxHeaderBytes, connectionsCheckingInterval: Math.min(1_000, receiveTimeoutMs) },
      },
      () => resolve(created as Server),
    ) as Server;
    created.headersTimeout = receiveTimeoutMs;
    created.requestTimeout = receiveTimeoutMs;
    created.keepAliveTimeout = idleTimeoutMs;
    created.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new InvalidOptionError(`cannot listen on ${host}:${port}: ${error.code ?? error.message}`, {
          option: 'port',
          hint: error.code === 'EADDRINUSE' ? 'another process uses this port; pick another with --port' : 'check --host and --port',
          cause: error,
        }),
      );
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = isIP(host) === 6 ? `[${host}]` : host;
  let closing: Promise<void> | undefined;

  const close = (closeOptions: { graceMs?: number } = {}): Promise<void> => {
    closing ??= (async () => {
      steering.startDraining();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const graceMs = closeOptions.graceMs ?? 30_000;
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => resolve('expired'), graceMs);
      });
      const outcome = await Promise.race([steering.scheduler.idle().then(() => 'idle' as const), expired]);
      clearTimeout(timer);
      if (outcome === 'expired') {
        for (const controller of steering.inflight) {
          controller.abort(new ServerRequestError('the server shut down before the request finished', { status: 503, type: 'server_error' }));
        }
        await steering.scheduler.idle();
      }
      // Let the last responses flush, then drop idle keep-alive connections.
      await new Promise((resolve) => setImmediate(resolve));
      server.closeIdleConnections();
      const forced = setTimeout(() => server.closeAllConnections(), 2_000);
      await closed;
      clearTimeout(forced);
    })();
    return closing;
  };

  return {
    url: `http://${urlHost}:${address.port}`,
    host,
    port: address.port,
    load: () => ({ active: steering.scheduler.active, queued: steering.scheduler.queued }),
    close,
  };
}
