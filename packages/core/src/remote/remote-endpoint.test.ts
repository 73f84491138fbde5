import { describe, expect, it } from 'vitest';
import { ContextLengthError, RemoteError } from '../errors';
import { createRemoteEndpoint, parseServerError } from './remote-endpoint';

/** A fetch that answers every request with `status` and `body`, counting the calls. */
function answering(status: number, body: unknown): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  const fake = (async () => {
    calls += 1;
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { fetch: fake, calls: () => calls };
}

const fast = { initialDelayMs: 1, maxDelayMs: 2 };

describe('remote endpoint error answers', () => {
  it('does not retry a 400, and reports the server message and param instead of its JSON', async () => {
    const server = answering(400, { error: { message: 'temperature must be at most 2', type: 'invalid_request_error', param: 'temperature', code: null } });
    const endpoint = createRemoteEndpoint({ baseURL: 'http://localhost:1/v1', model: 'm', retries: 3, backoff: fast, fetch: server.fetch });
    const error = (await endpoint.postJson('/completions', {}).catch((caught: unknown) => caught)) as RemoteError;
    expect(RemoteError.isInstance(error)).toBe(true);
    expect(server.calls()).toBe(1);
    expect(error.status).toBe(400);
    expect(error.message).toContain('answered HTTP 400: temperature must be at most 2 (param temperature) (attempt 1 of 4, not retried)');
    expect(error.message).not.toContain('overloaded');
    expect(error.message).not.toContain('{"error"');
  });

  it('turns a context overrun (OpenAI code, or vLLM wording) into a ContextLengthError, not retried', async () => {
    const openai = answering(400, {
      error: {
        message: "the prompt is 900 tokens, more than the model's 512 positions",
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
    });
    const error = await createRemoteEndpoint({ baseURL: 'http://localhost:1', model: 'm', backoff: fast, fetch: openai.fetch })
      .postJson('/chat/completions', {})
      .catch((caught: unknown) => caught);
    expect(ContextLengthError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/more than the model's 512 positions \(param messages\)/);
    expect(openai.calls()).toBe(1);
    const vllm = answering(400, {
      object: 'error',
      message: "This model's maximum context length is 2048 tokens. However, you requested 2100 tokens.",
      type: 'BadRequestError',
      code: 400,
    });
    const fromVllm = await createRemoteEndpoint({ baseURL: 'http://localhost:1', model: 'm', backoff: fast, fetch: vllm.fetch })
      .postJson('/completions', {})
      .catch((caught: unknown) => caught);
    expect(ContextLengthError.isInstance(fromVllm)).toBe(true);
    expect(vllm.calls()).toBe(1);
  });

  it('still retries a 500 and says the server is failing', async () => {
    const server = answering(500, { error: { message: 'boom', type: 'server_error', param: null, code: null } });
    const error = (await createRemoteEndpoint({ baseURL: 'http://localhost:1', model: 'm', retries: 2, backoff: fast, fetch: server.fetch })
      .postJson('/completions', {})
      .catch((caught: unknown) => caught)) as RemoteError;
    expect(server.calls()).toBe(3);
    expect(error.message).toMatch(/HTTP 500: boom — gave up after 3 attempts/);
  });

  it('parses OpenAI, flat and plain error bodies', () => {
    expect(parseServerError('{"error":{"message":"m","param":"p","code":"c"}}')).toEqual({ message: 'm', param: 'p', code: 'c' });
    expect(parseServerError('{"error":"just text"}')).toEqual({ message: 'just text' });
    expect(parseServerError('not json')).toBeUndefined();
  });
});
