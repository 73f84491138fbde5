import { ContextLengthError, InvalidAttributeError, InvalidOptionError, SteerLMError, TemplateError } from '@steerlm/core';

/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface ServerRequestErrorOptions {
  /** The HTTP status to answer with (4xx or 5xx). */
  status: number;
  /** OpenAI's error type, e.g. `invalid_request_error`, `rate_limit_error`. */
  type?: string;
  /** The request field at fault, e.g. `messages[1].content` or `steerlm.attributes.humor`. */
  param?: string;
  /** OpenAI's error code, e.g. `context_length_exceeded`. */
  code?: string;
  hint?: string;
  /** Extra response headers, e.g. Retry-After. */
  headers?: Readonly<Record<string, string>>;
}

/** A request the steering server refuses, with the HTTP status and OpenAI error type to answer with. */
export class ServerRequestError extends SteerLMError {
  static override readonly code = 'steerlm.server-request';
  readonly status: number;
  readonly type: string;
  readonly param: string | undefined;
  readonly errorCode: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(message: string, options: ServerRequestErrorOptions) {
    super(ServerRequestError.code, message, { ...(options.hint !== undefined ? { hint: options.hint } : {}) });
    this.name = 'ServerRequestError';
    this.status = options.status;
    this.type = options.type ?? (options.status >= 500 ? 'server_error' : 'invalid_request_error');
    this.param = options.param;
    this.errorCode = options.code;
    this.headers = options.headers ?? {};
  }
}

/** Returns the HTTP status and OpenAI error body for any error a route raised (unknown errors become a 500 without internals). */
export function describeRequestError(error: unknown): { status: number; body: OpenAIErrorBody; headers: Readonly<Record<string, string>> } {
  if (ServerRequestError.isInstance(error)) {
    return {
      status: error.status,
      headers: error.headers,
      body: { error: { message: error.message, type: error.type, param: error.param ?? null, code: error.errorCode ?? null } },
    };
  }
  if (InvalidAttributeError.isInstance(error)) {
    const param = error.attribute !== undefined ? `steerlm.attributes.${error.attribute}` : 'steerlm.attributes';
    return { status: 400, headers: {}, body: { error: { message: error.message, type: 'invalid_request_error', param, code: 'invalid_attribute' } } };
  }
  if (ContextLengthError.isInstance(error)) {
    return {
      status: 400,
      headers: {},
      body: { error: { message: error.message, type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } },
    };
  }
  if (TemplateError.isInstance(error) || InvalidOptionError.isInstance(error)) {
    const param = error.field ?? null;
    return { status: 400, headers: {}, body: { error: { message: error.message, type: 'invalid_request_error', param, code: null } } };
  }
  return {
    status: 500,
    headers: {},
    body: { error: { message: 'the model failed while answering this request; see the server log', type: 'server_error', param: null, code: null } },
  };
}

/**
 * Returns `error` as the ServerRequestError of a `kind` request when it is the request's fault (a prompt
 * beyond the model's context: 400 with `param` messages or prompt and code `context_length_exceeded`,
 * as OpenAI answers), else `error` unchanged.
 */
export function requestFault(error: unknown, kind: 'chat' | 'completion'): unknown {
  if (!ContextLengthError.isInstance(error)) return error;
  return new ServerRequestError(error.message, { status: 400, param: kind === 'chat' ? 'messages' : 'prompt', code: 'context_length_exceeded' });
}

/** Returns a JSON Response in OpenAI's error shape for `error`. */
export function errorResponse(error: unknown): Response {
  const { status, body, headers } = describeRequestError(error);
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}
