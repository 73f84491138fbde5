import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidOptionError, sleep, type LanguageModel } from '@steerlm/core';
import { handleChatCompletions } from './chat-completions-route';
import { handleCompletions, type RouteContext } from './completions-route';
import { FaultController, type ScheduledFault } from './fault-controller';
import { readJsonBody, RequestError, sendError, sendJson } from './http-helpers';

export interface TestServerOptions {
  /** The model the server serves. */
  model: LanguageModel;
  /** The model name clients must send (default: the model's modelId). */
  modelName?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Faults applied to the first requests, in order. */
  faults?: readonly ScheduledFault[];
  /** A delay added to every /v1 request before it is answered (default 0). */
  latencyMs?: number;
}

/** Counters of what the server has seen. */
export interface TestServerStats {
  /** Every HTTP request received. */
  requests: number;
  /** Requests by `METHOD path`. */
  byRoute: Record<string, number>;
  /** Responses sent, by status. */
  byStatus: Record<number, number>;
  /** Requests that got an injected fault. */
  faultsInjected: number;
  /** Requests being handled now. */
  inFlight: number;
  /** The most requests handled at once. */
  maxInFlight: number;
  /** The parsed bodies of the last 100 POST requests, oldest first. */
  bodies: Record<string, unknown>[];
}

export interface TestServer {
  /** The base URL, e.g. `http://127.0.0.1:43121` (append `/v1/...`). */
  readonly url: string;
  readonly stats: TestServerStats;
  /** Queue more faults while the server runs. */
  readonly faults: FaultController;
  /** Stops the server, destroying open connections; resolves when closed. */
  close(): Promise<void>;
}

/**
 * Returns a running OpenAI-compatible HTTP server on 127.0.0.1 serving `model`: GET /v1/models,
 * POST /v1/completions (SSE streaming, echo + logprobs) and POST /v1/chat/completions (SSE), with
 * fault injection (HTTP errors with Retry-After, delays, dropped connections).
 */
export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  if (!options || typeof options.model?.generate !== 'function') {
    throw new InvalidOptionError('startTestServer needs a LanguageModel as `model`', { option: 'model' });
  }
  const modelName = options.modelName ?? options.model.modelId;
  const faults = new FaultController(options.faults ?? []);
  const stats: TestServerStats = { requests: 0, byRoute: {}, byStatus: {}, faultsInjected: 0, inFlight: 0, maxInFlight: 0, bodies: [] };
  let idCounter = 0;

  const route = async (request: IncomingMessage, response: ServerResponse, signal: AbortSignal): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0]!;
    const fault = path.startsWith('/v1/') ? faults.take() : undefined;
    if (fault) {
      stats.faultsInjected += 1;
      if (fault.kind === 'drop') {
        request.socket.destroy();
        return;
      }
      if (fault.kind === 'status') {
        const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
        sendError(response, fault.status, fault.message ?? `injected fault: HTTP ${fault.status}`, { headers });
        return;
      }
      await sleep(fault.ms, signal);
    }
    if (options.latencyMs && path.startsWith('/v1/')) await sleep(options.latencyMs, signal);
    const context: RouteContext = {
      model: options.model,
      modelName,
      signal,
      nextId: (prefix) => `${prefix}-${++idCounter}`,
      readBody: async () => {
        const body = await readJsonBody(request);
        stats.bodies.push(body);
        if (stats.bodies.length > 100) stats.bodies.shift();
        return body;
      },
    };
    if (request.method === 'GET' && path === '/v1/models') {
      sendJson(response, 200, { object: 'list', data: [{ id: modelName, object: 'model', created: 0, owned_by: 'steerlm-test-server' }] });
    } else if (request.method === 'POST' && path === '/v1/completions') {
      await handleCompletions(response, context);
    } else if (request.method === 'POST' && path === '/v1/chat/completions') {
      await handleChatCompletions(response, context);
    } else {
      sendError(response, 404, `no route ${request.method} ${path}; this server answers GET /v1/models, POST /v1/completions, POST /v1/chat/completions`);
    }
  };

  const server = createServer((request, response) => {
    stats.requests += 1;
    const key = `${request.method} ${(request.url ?? '/').split('?')[0]}`;
    stats.byRoute[key] = (stats.byRoute[key] ?? 0) + 1;
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    const abort = new AbortController();
    response.on('close', () => {
      stats.inFlight -= 1;
      if (response.headersSent) stats.byStatus[response.statusCode] = (stats.byStatus[response.statusCode] ?? 0) + 1;
      if (!response.writableFinished) abort.abort(new Error('the client closed the connection'));
    });
    route(request, response, abort.signal).catch((error: unknown) => {
      if (abort.signal.aborted || response.destroyed) return;
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (error instanceof RequestError) sendError(response, error.status, error.message, error.param !== undefined ? { param: error.param } : {});
      else sendError(response, 500, `the model failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    faults,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
