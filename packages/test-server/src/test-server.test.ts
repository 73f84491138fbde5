import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCharacterNGramModel } from './character-ngram-model';
import { createScriptedModel } from './scripted-model';
import { startTestServer, type TestServer } from './test-server';

const model = createCharacterNGramModel({ texts: ['the cat sat on the mat.', 'the dog sat on the log.'], order: 4, modelId: 'tiny' });

async function post(server: TestServer, path: string, body: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function readEvents(response: Response): Promise<unknown[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice(6))
    .map((data) => (data === '[DONE]' ? data : JSON.parse(data)));
}

describe('startTestServer', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ model });
  });
  afterAll(() => server.close());

  it('lists its model on 127.0.0.1', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const body = await (await fetch(`${server.url}/v1/models`)).json();
    expect(body).toMatchObject({ object: 'list', data: [{ id: 'tiny', object: 'model' }] });
  });

  it('answers completions like the model, with usage', async () => {
    const response = await post(server, '/v1/completions', { model: 'tiny', prompt: 'the ', max_tokens: 10, temperature: 0.9, seed: 5 });
    expect(response.status).toBe(200);
    const body = await response.json();
    const local = await model.generate('the ', { maxTokens: 10, temperature: 0.9, seed: 5 });
    expect(body.choices[0]).toMatchObject({ index: 0, text: local.text, finish_reason: local.finishReason });
    expect(body.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: local.usage.completionTokens });
  });

  it('echoes the prompt with per-token logprobs at max_tokens 0', async () => {
    const response = await post(server, '/v1/completions', { model: 'tiny', prompt: 'the cat', max_tokens: 0, echo: true, logprobs: 1 });
    const body = await response.json();
    const { logprobs, text } = body.choices[0];
    expect(text).toBe('the cat');
    expect(logprobs.tokens).toEqual(['t', 'h', 'e', ' ', 'c', 'a', 't']);
    expect(logprobs.text_offset).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(logprobs.token_logprobs[0]).toBeNull();
    const tail = logprobs.token_logprobs.slice(4).reduce((sum: number, value: number) => sum + value, 0);
    expect(tail).toBeCloseTo((await model.logProbability('the ', 'cat')).logProbability, 10);
  });

  it('streams completions as server-sent events ending with [DONE]', async () => {
    const response = await post(server, '/v1/completions', { model: 'tiny', prompt: 'the ', max_tokens: 12, temperature: 0.7, seed: 9, stream: true });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = await readEvents(response);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1) as { choices: { text: string; finish_reason: string | null }[] }[];
    const local = await model.generate('the ', { maxTokens: 12, temperature: 0.7, seed: 9 });
    expect(chunks.map((chunk) => chunk.choices[0]!.text).join('')).toBe(local.text);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe(local.finishReason);
  });

  it('rejects a wrong model name with 404 and bad parameters with 400', async () => {
    expect((await post(server, '/v1/completions', { model: 'other', prompt: 'x' })).status).toBe(404);
    const bad = await post(server, '/v1/completions', { model: 'tiny', prompt: 'x', temperature: 'hot' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ param: 'temperature', type: 'invalid_request_error' });
  });

  it('injects 429 with Retry-After, 500, delays and dropped connections, in order', async () => {
    server.faults.failNext(1, 429, 2).failNext(1, 500).dropNext(1).delayNext(1, 150);
    const limited = await fetch(`${server.url}/v1/models`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect((await fetch(`${server.url}/v1/models`)).status).toBe(500);
    await expect(fetch(`${server.url}/v1/models`)).rejects.toThrow();
    const started = performance.now();
    expect((await fetch(`${server.url}/v1/models`)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(server.faults.pending).toBe(0);
    expect(server.stats.faultsInjected).toBe(4);
  });
});

describe('chat completions with a scripted judge', () => {
  let server: TestServer;
  beforeAll(async () => {
    const judge = createScriptedModel({
      modelId: 'judge',
      rules: [{ when: /Response A: (.*)\nResponse B: (.*)\n/, reply: (_prompt, match) => (match![1]!.length >= match![2]!.length ? 'A' : 'B') }],
      fallback: 'I cannot judge this.',
    });
    server = await startTestServer({ model: judge });
  });
  afterAll(() => server.close());

  it('renders messages with the SteerLM template and answers by rule', async () => {
    const response = await post(server, '/v1/chat/completions', {
      model: 'judge',
      messages: [
        { role: 'system', content: 'You are a judge.' },
        { role: 'user', content: 'Which is longer?\nResponse A: short\nResponse B: much longer\n' },
      ],
    });
    const body = await response.json();
    expect(body.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'B' }, finish_reason: 'stop' });
  });

  it('streams chat deltas', async () => {
    const response = await post(server, '/v1/chat/completions', { model: 'judge', stream: true, messages: [{ role: 'user', content: 'hello there' }] });
    const events = (await readEvents(response)).slice(0, -1) as { choices: { delta: { content?: string } }[] }[];
    expect(events.map((event) => event.choices[0]!.delta.content ?? '').join('')).toBe('I cannot judge this.');
  });

  it('refuses a conversation not ending with the user', async () => {
    expect((await post(server, '/v1/chat/completions', { model: 'judge', messages: [{ role: 'assistant', content: 'hi' }] })).status).toBe(400);
  });
});
