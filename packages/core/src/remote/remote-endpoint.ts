import { ContextLengthError, InvalidOptionError, RemoteError } from '../errors';
import { isRetryableStatus, parseRetryAfter, resolveBackoff, retryDelay, type BackoffOptions, type ResolvedBackoff } from './retry-policy';
import { Semaphore } from './semaphore';
import { sleep } from './sleep';
import { readServerSentEvents } from './server-sent-events';
import { streamChunks } from './stream-chunks';

/** Where and how to reach an OpenAI-compatible server (vLLM, TGI, llama.cpp, NIM, OpenAI, …). */
export interface RemoteEndpointOptions {
  /** The server's base URL, with or without the trailing `/v1` (e.g. `http://localhost:8000/v1`). */
  baseURL: string;
  /** The model name the server expects in each request. */
  model: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Extra headers sent with every request. */
  headers?: Readonly<Record<string, string>>;
  /** The most requests in flight at once (default 4). */
  concurrency?: number;
  /** The longest wait for a response to start or for the next bytes of it, in ms (default 60 000). */
  timeoutMs?: number;
  /** Retries after the first attempt on 429, 5xx, timeouts and network errors (default 3). */
  retries?: number;
  backoff?: BackoffOptions;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
}

/** A connection to one server: bounded concurrency, timeouts and retries for JSON and SSE requests. */
export interface RemoteEndpoint {
  /** The base URL without a trailing slash, ending in `/v1`. */
  readonly baseURL: string;
  readonly model: string;
  /** Returns the parsed JSON answer of a POST to `path` (e.g. `/completions`). */
  postJson(path: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<unknown>;
  /** Yields the parsed JSON of each server-sent event of a streaming POST, until `[DONE]`. */
  postStream(path: string, body: Record<string, unknown>, signal?: AbortSignal): AsyncGenerator<unknown>;
  /** Returns the parsed JSON answer of a GET to `path` (e.g. `/models`). */
  getJson(path: string, signal?: AbortSignal): Promise<unknown>;
}

const EXCERPT_LENGTH = 300;

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT_LENGTH ? `${flat.slice(0, EXCERPT_LENGTH)}…` : flat;
}

/** The parts of an OpenAI-style error body (`{ error: { message, param, code } }`, or vLLM's flat `{ message }`). */
interface ServerErrorBody {
  message?: string;
  param?: string;
  code?: string;
}

/** Returns the message, param and code of a server's error answer, or undefined when it is not JSON of that shape. */
export function parseServerError(text: string): ServerErrorBody | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const inner = (parsed as { error?: unknown }).error;
  const source = (typeof inner === 'object' && inner !== null ? inner : typeof inner === 'string' ? { message: inner } : parsed) as Record<string, unknown>;
  const body: ServerErrorBody = {
    ...(typeof source['message'] === 'string' ? { message: source['message'] } : {}),
    ...(typeof source['param'] === 'string' ? { param: source['param'] } : {}),
    ...(typeof source['code'] === 'string' ? { code: source['code'] } : {}),
  };
  return body.message !== undefined ? body : undefined;
}

/** Returns whether a 4xx answer says the prompt is beyond the model's context (OpenAI's code, or vLLM/TGI wording). */
function isContextOverrun(status: number, error: ServerErrorBody | undefined): boolean {
  if (status !== 400 && status !== 413 && status !== 422) return false;
  return error?.code === 'context_length_exceeded' || /context length|more than the model's \d+ positions/i.test(error?.message ?? '');
}

/** Returns `baseURL` normalised to end in `/v1` without a trailing slash. */
export function normaliseBaseURL(baseURL: string): string {
  if (typeof baseURL !== 'string' || !/^https?:\/\//.test(baseURL)) {
    throw new InvalidOptionError(`baseURL must be an http(s) URL, got ${JSON.stringify(baseURL)}`, {
      option: 'baseURL',
      hint: 'e.g. http://localhost:8000/v1',
    });
  }
  const trimmed = baseURL.replace(/\/+$/, '');
  return trimmed.endsWith('/v1') ? trimmed : `${trimmed}/v1`;
}

function checkInteger(name: string, value: number, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum)
    throw new InvalidOptionError(`${name} must be an integer >= ${minimum}, got ${String(value)}`, { option: name });
}

/** Aborts a controller when `ms` pass without a `touch()`. */
class IdleTimer {
  readonly #controller: AbortController;
  readonly #ms: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  fired = false;

  constructor(controller: AbortController, ms: number) {
    this.#controller = controller;
    this.#ms = ms;
    this.touch();
  }

  touch(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.fired = true;
      this.#controller.abort(new Error(`no response within ${this.#ms} ms`));
    }, this.#ms);
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}

/** One attempt that got an HTTP answer: the response, the slot it holds and its timer. */
interface OpenAttempt {
  response: Response;
  timer: IdleTimer;
  finish: () => void;
}

/** Returns a RemoteEndpoint after validating and defaulting `options`. */
export function createRemoteEndpoint(options: RemoteEndpointOptions): RemoteEndpoint {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('remote endpoint options must be an object', { option: 'options' });
  const baseURL = normaliseBaseURL(options.baseURL);
  if (typeof options.model !== 'string' || options.model === '') {
    throw new InvalidOptionError('model must name the served model, e.g. "meta-llama/Llama-3.1-8B"', { option: 'model' });
  }
  const concurrency = options.concurrency ?? 4;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const retries = options.retries ?? 3;
  checkInteger('concurrency', concurrency, 1);
  checkInteger('timeoutMs', timeoutMs, 1);
  checkInteger('retries', retries, 0);
  const backoff: ResolvedBackoff = resolveBackoff(options.backoff);
  const fetchFunction = options.fetch ?? globalThis.fetch;
  if (typeof fetchFunction !== 'function') throw new InvalidOptionError('no fetch is available; pass options.fetch', { option: 'fetch' });
  const semaphore = new Semaphore(concurrency);
  const headers: Record<string, string> = {
    accept: 'application/json, text/event-stream',
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    ...options.headers,
  };

  /**
   * Returns what `use` makes of an OK response, retrying transient failures — of the request and, for
   * `use` that reads the whole body, of reading it. With `keepOpen` the attempt (and its concurrency
   * slot) stays open for the caller to `finish`; `use` must then not read.
   */
  async function withRetries<T>(
    method: 'GET' | 'POST',
    path: string,
    body: Record<string, unknown> | undefined,
    signal: AbortSignal | undefined,
    use: (attempt: OpenAttempt) => Promise<T>,
    keepOpen = false,
  ): Promise<T> {
    const url = `${baseURL}${path}`;
    const attempts = retries + 1;
    for (let attempt = 1; ; attempt++) {
      const release = await semaphore.acquire(signal);
      const controller = new AbortController();
      const onAbort = () => controller.abort(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = new IdleTimer(controller, timeoutMs);
      const finish = () => {
        timer.stop();
        signal?.removeEventListener('abort', onAbort);
        release();
      };
      let failure: { message: string; status?: number; retryAfterMs?: number; cause?: unknown; hint: string; body?: string };
      try {
        const response = await fetchFunction(url, {
          method,
          headers: body ? { ...headers, 'content-type': 'application/json' } : headers,
          ...(body ? { body: JSON.stringify(body) } : {}),
          signal: controller.signal,
        });
        if (response.ok) {
          const result = await use({ response, timer, finish });
          if (!keepOpen) finish();
          return result;
        }
        const text = await response.text().catch(() => '');
        finish();
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        // The server's own message (and the field at fault) reads better than its JSON.
        const serverError = parseServerError(text);
        const said =
          serverError?.message !== undefined ? `${serverError.message}${serverError.param !== undefined ? ` (param ${serverError.param})` : ''}` : text;
        failure = {
          message: `${method} ${url} answered HTTP ${response.status}${said ? `: ${excerpt(said)}` : ''}`,
          status: response.status,
          ...(text ? { body: excerpt(text) } : {}),
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
          hint: isRetryableStatus(response.status)
            ? 'the server is overloaded or failing; retry later or lower concurrency'
            : 'the request was rejected; check the model name, the parameters and the API key',
        };
        if (isContextOverrun(response.status, serverError)) {
          const cause = new RemoteError(failure.message, {
            status: response.status,
            url,
            attempts: attempt,
            ...(failure.body !== undefined ? { body: failure.body } : {}),
          });
          throw new ContextLengthError(`${failure.message} (not retried)`, {
            cause,
            hint: 'shorten the prompt or the conversation, or ask for fewer max tokens',
          });
        }
        if (!isRetryableStatus(response.status)) {
          throw new RemoteError(`${failure.message} (attempt ${attempt} of ${attempts}, not retried)`, {
            status: response.status,
            url,
            attempts: attempt,
            hint: failure.hint,
            ...(failure.body !== undefined ? { body: failure.body } : {}),
          });
        }
      } catch (error) {
        finish();
        if (RemoteError.isInstance(error) || ContextLengthError.isInstance(error)) throw error;
        if (signal?.aborted) throw signal.reason;
        const reason = `${(error as Error).message ?? String(error)}${(error as { cause?: Error }).cause?.message ? ` (${(error as { cause: Error }).cause.message})` : ''}`;
        failure = timer.fired
          ? {
              message: `${method} ${url} timed out: no response within ${timeoutMs} ms`,
              cause: error,
              hint: 'raise timeoutMs or check that the server is healthy',
            }
          : { message: `${method} ${url} failed: ${reason}`, cause: error, hint: 'check that the server is running and reachable at baseURL' };
      }
      if (attempt >= attempts) {
        throw new RemoteError(`${failure.message} — gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}`, {
          url,
          attempts,
          hint: failure.hint,
          ...(failure.status !== undefined ? { status: failure.status } : {}),
          ...(failure.body !== undefined ? { body: failure.body } : {}),
          ...(failure.cause !== undefined ? { cause: failure.cause } : {}),
        });
      }
      await sleep(retryDelay(attempt, backoff, failure.retryAfterMs), signal);
    }
  }

  /** Returns the whole body as text, touching the idle timer on every chunk. */
  async function readText(attempt: OpenAttempt): Promise<string> {
    if (!attempt.response.body) return attempt.response.text();
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of streamChunks(attempt.response.body, () => attempt.timer.touch())) text += decoder.decode(chunk, { stream: true });
    return text + decoder.decode();
  }

  function parseJson(text: string, url: string, status: number): unknown {
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw new RemoteError(`${url} answered with invalid JSON: ${excerpt(text)}`, { url, status, cause, hint: 'is baseURL an OpenAI-compatible server?' });
    }
  }

  const requestJson = (method: 'GET' | 'POST', path: string, body: Record<string, unknown> | undefined, signal?: AbortSignal): Promise<unknown> =>
    withRetries(method, path, body, signal, async (attempt) => parseJson(await readText(attempt), `${baseURL}${path}`, attempt.response.status));

  return {
    baseURL,
    model: options.model,
    postJson: (path, body, signal) => requestJson('POST', path, body, signal),
    getJson: (path, signal) => requestJson('GET', path, undefined, signal),
    async *postStream(path, body, signal) {
      const url = `${baseURL}${path}`;
      const attempt = await withRetries('POST', path, body, signal, async (opened) => opened, true);
      let events: AsyncGenerator<string> | undefined;
      try {
        if (!attempt.response.body) throw new RemoteError(`${url} answered a stream request without a body`, { url });
        events = readServerSentEvents(streamChunks(attempt.response.body, () => attempt.timer.touch()));
        for (;;) {
          let next: IteratorResult<string>;
          try {
            next = await events.next();
          } catch (error) {
            if (signal?.aborted) throw signal.reason;
            throw new RemoteError(`${url} broke off its event stream: ${attempt.timer.fired ? `no data within ${timeoutMs} ms` : (error as Error).message}`, {
              url,
              cause: error,
            });
          }
          if (next.done) throw new RemoteError(`${url} ended its event stream without [DONE]`, { url, hint: 'the server closed the connection mid-answer' });
          if (next.value.trim() === '[DONE]') return;
          const event = parseJson(next.value, url, attempt.response.status) as { error?: { message?: string } };
          if (event && typeof event === 'object' && event.error) {
            throw new RemoteError(`${url} reported an error mid-stream: ${excerpt(event.error.message ?? JSON.stringify(event.error))}`, { url });
          }
          yield event;
        }
      } finally {
        attempt.finish();
        // Closing the event reader cancels the response body when the consumer stopped early.
        await events?.return(undefined).catch(() => undefined);
      }
    },
  };
}
