import type { IncomingMessage, ServerResponse } from 'node:http';

/** A client error found in a request body; answered with its status and an OpenAI-style error. */
export class RequestError extends Error {
  readonly status: number;
  readonly param: string | undefined;
  constructor(status: number, message: string, param?: string) {
    super(message);
    this.name = 'RequestError';
    this.status = status;
    this.param = param;
  }
}

/** Writes `body` as a JSON response with `status`. */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

/** Writes an OpenAI-style error response `{ error: { message, type, param, code } }`. */
export function sendError(response: ServerResponse, status: number, message: string, options: { param?: string; headers?: Record<string, string> } = {}): void {
  const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : status === 404 ? 'not_found_error' : 'invalid_request_error';
  sendJson(response, status, { error: { message, type, param: options.param ?? null, code: status } }, options.headers);
}

/** Returns the parsed JSON body of a request (a RequestError 400 when it is not a JSON object). */
export async function readJsonBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RequestError(400, 'the request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RequestError(400, 'the request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** Starts a server-sent-events response; returns a function writing one `data:` event. */
export function startEventStream(response: ServerResponse): (data: unknown) => void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  return (data: unknown) => {
    response.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  };
}

/** Ends a server-sent-events response with the OpenAI `data: [DONE]` event. */
export function endEventStream(send: (data: unknown) => void, response: ServerResponse): void {
  send('[DONE]');
  response.end();
}

/** What a non-streaming completion response starts with: its id, object type, creation time and model. */
export interface CompletionHead {
  id: string;
  object: string;
  created: number;
  model: string;
}

/** Sends a non-streaming completion (200): `head`, the choices and the token usage. */
export function sendCompletion(response: ServerResponse, head: CompletionHead, choices: unknown[], promptTokens: number, completionTokens: number): void {
  sendJson(response, 200, {
    ...head,
    choices,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  });
}
