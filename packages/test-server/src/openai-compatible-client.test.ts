import { createOpenAICompatibleChat, createOpenAICompatibleModel, RemoteError } from '@steerlm/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCharacterNGramModel } from './character-ngram-model';
import { createScriptedModel } from './scripted-model';
import { startTestServer, type TestServer } from './test-server';

// The remote client of @steerlm/core against a real HTTP server on 127.0.0.1.
const local = createCharacterNGramModel({
  texts: ['<extra_id_1>User\nhi\n<extra_id_1>Assistant\nhello there, friend.\n<extra_id_1>', 'the cat sat on the mat. the dog sat on the log.'],
  order: 5,
  modelId: 'tiny',
});
const fastBackoff = { initialDelayMs: 10, maxDelayMs: 50 };

describe('createOpenAICompatibleModel', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ model: local });
  });
  afterAll(() => server.close());
  beforeEach(() => server.faults.clear());

  const remote = () => createOpenAICompatibleModel({ baseURL: server.url, model: 'tiny', retries: 2, timeoutMs: 2000, backoff: fastBackoff });

  it('generates exactly what the local model generates, sending SteerLM stop and sampling settings', async () => {
    const options = { maxTokens: 30, temperature: 0.8, topK: 50, topP: 0.95, seed: 42 };
    const result = await remote().generate('<extra_id_1>User\nhi\n<extra_id_1>Assistant\n', options);
    const expected = await local.generate('<extra_id_1>User\nhi\n<extra_id_1>Assistant\n', { ...options, stop: ['<extra_id_1>'] });
    expect(result).toEqual(expected);
    expect(server.stats.bodies.at(-1)).toMatchObject({
      model: 'tiny',
      max_tokens: 30,
      top_k: 50,
      top_p: 0.95,
      seed: 42,
      stop: ['<extra_id_1>'],
      stream: false,
    });
  });

  it('streams the same text over SSE', async () => {
    const pieces: string[] = [];
    for await (const piece of remote().stream('the ', { maxTokens: 25, temperature: 1, seed: 3 })) pieces.push(piece);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe((await local.generate('the ', { maxTokens: 25, temperature: 1, seed: 3, stop: ['<extra_id_1>'] })).text);
  });

  it('closes the connection when the consumer stops reading a stream early', async () => {
    const slow = await startTestServer({ model: local });
    try {
      const model = createOpenAICompatibleModel({ baseURL: slow.url, model: 'tiny' });
      for await (const piece of model.stream('the ', { maxTokens: 5000, temperature: 1, seed: 1 })) {
        expect(piece.length).toBeGreaterThan(0);
        break;
      }
      // Polls until the server saw the close (a generous bound: a loaded machine is slow, not wrong).
      await expect.poll(() => slow.stats.inFlight, { timeout: 20_000, interval: 10 }).toBe(0);
    } finally {
      await slow.close();
    }
  });

  it('scores a continuation with echo + logprobs at max_tokens 0, equal to the local model', async () => {
    const prompt = '<extra_id_1>User\nhi\n<extra_id_1>Assistant\n';
    const continuation = 'hello there, friend.\n<extra_id_1>';
    const scored = await remote().logProbability(prompt, continuation);
    const expected = await local.logProbability(prompt, continuation);
    expect(scored.tokens).toBe(expected.tokens);
    expect(scored.logProbability).toBeCloseTo(expected.logProbability, 9);
    expect(server.stats.bodies.at(-1)).toMatchObject({ echo: true, logprobs: 1, max_tokens: 0, prompt: prompt + continuation });
  });

  it('retries 429 honouring Retry-After, then succeeds', async () => {
    server.faults.failNext(1, 429, 1);
    const before = server.stats.requests;
    const started = performance.now();
    const result = await remote().generate('the ', { maxTokens: 5, seed: 1 });
    expect(result.text.length).toBeGreaterThan(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.stats.requests - before).toBe(2);
  });

  it('retries 500s and dropped connections with backoff', async () => {
    server.faults.failNext(1, 500).dropNext(1);
    const before = server.stats.requests;
    await remote().generate('the ', { maxTokens: 5, seed: 1 });
    expect(server.stats.requests - before).toBe(3);
  });

  it('throws a RemoteError with status, url, attempts and the body after the last try', async () => {
    server.faults.failNext(3, 500);
    const error = await remote()
      .generate('the ', { maxTokens: 5 })
      .catch((caught: unknown) => caught);
    expect(RemoteError.isInstance(error)).toBe(true);
    const remoteError = error as RemoteError;
    expect(remoteError.status).toBe(500);
    expect(remoteError.url).toBe(`${server.url}/v1/completions`);
    expect(remoteError.message).toMatch(/HTTP 500: .*injected fault: HTTP 500.* gave up after 3 attempts/);
  });

  it('does not retry other 4xx', async () => {
    const before = server.stats.requests;
    const wrong = createOpenAICompatibleModel({ baseURL: `${server.url}/v1/`, model: 'nope', retries: 3, backoff: fastBackoff });
    const error = (await wrong.generate('x').catch((caught: unknown) => caught)) as RemoteError;
    expect(error.status).toBe(404);
    expect(error.message).toMatch(/does not exist.*not retried/);
    expect(server.stats.requests - before).toBe(1);
  });

  it('times out a slow response, retries, and fails clearly when every try is slow', async () => {
    // The delay (60 s) is far beyond the timeout (200 ms) and the test's own limit: only a client that gave
    // up on the first try and retried can return the local model's answer, on exactly two requests.
    server.faults.delayNext(1, 60_000);
    const quick = createOpenAICompatibleModel({ baseURL: server.url, model: 'tiny', timeoutMs: 200, retries: 1, backoff: fastBackoff });
    const before = server.stats.requests;
    const result = await quick.generate('the ', { maxTokens: 3, seed: 2 });
    expect(result).toEqual(await local.generate('the ', { maxTokens: 3, seed: 2, stop: ['<extra_id_1>'] }));
    expect(server.stats.requests - before).toBe(2);
    server.faults.delayNext(2, 60_000);
    const error = (await quick.generate('the ', { maxTokens: 3 }).catch((caught: unknown) => caught)) as RemoteError;
    expect(RemoteError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/timed out: no response within 200 ms — gave up after 2 attempts/);
  });

  it('bounds the requests in flight', async () => {
    const slow = await startTestServer({ model: local, latencyMs: 40 });
    try {
      const bounded = createOpenAICompatibleModel({ baseURL: slow.url, model: 'tiny', concurrency: 2 });
      await Promise.all(Array.from({ length: 8 }, (_, seed) => bounded.generate('the ', { maxTokens: 2, seed })));
      expect(slow.stats.requests).toBe(8);
      expect(slow.stats.maxInFlight).toBe(2);
    } finally {
      await slow.close();
    }
  });

  it('stops at once, without retrying, when the caller aborts', async () => {
    server.faults.delayNext(1, 1000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled by caller')), 50);
    await expect(remote().generate('the ', { signal: controller.signal })).rejects.toThrow('cancelled by caller');
  });
});

describe('scoring and chat against a scripted judge', () => {
  let server: TestServer;
  beforeAll(async () => {
    const judge = createScriptedModel({
      modelId: 'judge',
      rules: [{ when: /\[\[A\]\] (.*)\n\[\[B\]\] (.*)\n/, reply: (_prompt, match) => `Verdict: ${match![1]!.length >= match![2]!.length ? 'A' : 'B'}` }],
      fallback: 'No verdict.',
    });
    server = await startTestServer({ model: judge });
  });
  afterAll(() => server.close());

  it('explains that a server without per-token logprobs cannot score text', async () => {
    const model = createOpenAICompatibleModel({ baseURL: server.url, model: 'judge', backoff: fastBackoff });
    const error = (await model.logProbability('a', 'b').catch((caught: unknown) => caught)) as RemoteError;
    expect(RemoteError.isInstance(error)).toBe(true);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/cannot score text.*echo: true, logprobs: 1, max_tokens: 0/);
  });

  it('chats and streams chat answers', async () => {
    const chat = createOpenAICompatibleChat({ baseURL: server.url, model: 'judge', backoff: fastBackoff });
    const messages = [
      { role: 'system', content: 'Judge.' },
      { role: 'user', content: 'Which is longer?\n[[A]] tiny\n[[B]] rather long\n' },
    ] as const;
    expect(await chat.chat(messages, { temperature: 0 })).toBe('Verdict: B');
    const pieces: string[] = [];
    for await (const piece of chat.stream(messages)) pieces.push(piece);
    expect(pieces).toEqual(['Verdict: ', 'B']);
  });

  it('checks its options', () => {
    expect(() => createOpenAICompatibleChat({ baseURL: 'localhost:8000', model: 'judge' })).toThrow(/baseURL/);
    expect(() => createOpenAICompatibleModel({ baseURL: server.url, model: 'judge', concurrency: 0 })).toThrow(/concurrency/);
  });
});
