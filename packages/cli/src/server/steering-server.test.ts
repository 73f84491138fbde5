import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LanguageModel } from '@steerlm/core';
import { AttributeEchoModel } from '../models';
import { startSteeringServer, type SteeringServer } from './start-steering-server';

let server: SteeringServer;

/** Returns OpenAI request params with this server's "steerlm" extension field added (the client forwards it as is). */
function withSteering<Params extends object>(params: Params, steerlm: { attributes?: Record<string, number> }): Params {
  return Object.assign({ steerlm }, params);
}
let client: OpenAI;

/** A gate that answers wait on until it is opened (it can be closed again for the next requests). */
class Gate {
  #opened!: Promise<void>;
  #open!: () => void;
  constructor() {
    this.close();
  }
  close(): void {
    this.#opened = new Promise((resolve) => (this.#open = resolve));
  }
  open(): void {
    this.#open();
  }
  wait(): Promise<void> {
    return this.#opened;
  }
}

/** Returns `model` whose answers (whole or streamed) start only once `gate` is open. */
function gatedModel(model: LanguageModel, gate: Gate): LanguageModel {
  return {
    specificationVersion: model.specificationVersion,
    modelId: model.modelId,
    async generate(prompt, options) {
      await gate.wait();
      return model.generate(prompt, options);
    },
    async *stream(prompt, options) {
      await gate.wait();
      yield* model.stream!(prompt, options);
    },
    logProbability: (prompt, continuation) => model.logProbability(prompt, continuation),
  };
}

beforeAll(async () => {
  server = await startSteeringServer({
    model: new AttributeEchoModel(),
    port: 0,
    maxTokens: 64,
    maxPromptCharacters: 2_000,
    maxBodyBytes: 8_192,
    log: () => {},
  });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});

async function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: { error: { message: string; param: string | null; type: string } } }> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as { error: { message: string; param: string | null; type: string } } };
}

describe('steering server with the official openai client', () => {
  it('answers chat completions with the requested attributes, schema defaults otherwise', async () => {
    const steered = await client.chat.completions.create(
      withSteering(
        {
          model: 'attribute-echo',
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Tell me a joke.' },
          ],
        },
        { attributes: { humor: 4, toxicity: 0 } },
      ),
    );
    expect(steered.object).toBe('chat.completion');
    expect(steered.choices[0]!.message.content).toBe(
      'Steered to quality four, toxicity zero, humor four, creativity zero, helpfulness four, correctness four, coherence four, complexity two, verbosity two.',
    );
    expect(steered.choices[0]!.finish_reason).toBe('stop');
    const plain = await client.chat.completions.create({ model: 'attribute-echo', messages: [{ role: 'user', content: 'Hi' }] });
    expect(plain.choices[0]!.message.content).toContain('humor zero');
  });

  it('streams chat completions chunk by chunk ending with [DONE]', async () => {
    const stream = await client.chat.completions.create(
      withSteering({ model: 'attribute-echo', messages: [{ role: 'user', content: 'Hi' }], stream: true as const }, { attributes: { humor: 3 } }),
    );
    const pieces: string[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      const choice = chunk.choices[0];
      if (choice?.delta.content) pieces.push(choice.delta.content);
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.join('')).toContain('humor three');
    expect(finish).toBe('stop');
  });

  it('answers completions: steered with a steerlm field, verbatim without one', async () => {
    const whole = await client.completions.create(withSteering({ model: 'attribute-echo', prompt: 'Hi', max_tokens: 3 }, {}));
    expect(whole.object).toBe('text_completion');
    expect(whole.choices[0]!.text).toBe('Steered to quality ');
    expect(whole.choices[0]!.finish_reason).toBe('length');
    const stream = await client.completions.create({
      model: 'attribute-echo',
      prompt: '<extra_id_1>User\nHi\n<extra_id_1>Assistant\n<extra_id_2>humor:2\n',
      stream: true as const,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe('Steered to humor two.');
  });

  it('lists the model, reports health and the attribute schema', async () => {
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['attribute-echo']);
    expect(await (await fetch(`${server.url}/health`)).json()).toMatchObject({ status: 'ok', model: 'attribute-echo' });
    const schema = (await (await fetch(`${server.url}/v1/steerlm/schema`)).json()) as { attributes: { name: string; max: number }[] };
    expect(schema.attributes.find((attribute) => attribute.name === 'humor')).toMatchObject({ min: 0, max: 4, default: 0 });
  });
});

describe('steering server validation', () => {
  const user = [{ role: 'user', content: 'Hi' }];

  it('refuses bad attributes, fields and sizes with OpenAI-shaped 4xx errors', async () => {
    const cases: [unknown, number, string, string | null][] = [
      [{ messages: user, steerlm: { attributes: { humor: 9 } } }, 400, 'attribute "humor" is 9, outside 0..4', 'steerlm.attributes.humor'],
      [{ messages: user, steerlm: { attributes: { charm: 2 } } }, 400, 'unknown attribute "charm"', 'steerlm.attributes.charm'],
      [{ messages: user, steerlm: { attributes: { humor: 4.5 } } }, 400, 'attribute "humor" is 4.5, outside 0..4', 'steerlm.attributes.humor'],
      [{ messages: user, frequency_penalty: 1 }, 400, 'unknown field "frequency_penalty" in the request body', 'frequency_penalty'],
      [{ messages: user, steerlm: { mood: 1 } }, 400, 'unknown field "mood" in steerlm', 'steerlm.mood'],
      [{ messages: user, max_tokens: 65 }, 400, 'max_tokens', 'max_tokens'],
      [{ messages: [{ role: 'assistant', content: 'Hi' }] }, 400, 'the last message must be a user message', 'messages[0].role'],
      [{ messages: [{ role: 'user', content: 'x'.repeat(2_001) }] }, 400, 'the prompt is 2001 characters', 'messages'],
      [{ messages: [{ role: 'user', content: 'x'.repeat(9_000) }] }, 413, "over this server's limit of 8192 bytes", null],
      [{ messages: [] }, 400, 'messages', 'messages'],
      [{ messages: [{ role: 'user', content: 'a <extra_id_1> b' }] }, 400, 'extra_id_1', null],
      ['{"messages": [', 400, 'not valid JSON', null],
      [[1, 2], 400, 'must be a JSON object', null],
    ];
    for (const [body, status, message, param] of cases) {
      const { status: got, json } = await post('/v1/chat/completions', body);
      expect({ got, body }).toMatchObject({ got: status });
      expect(json.error.message).toContain(message);
      if (param !== null) expect(json.error.param).toBe(param);
      expect(typeof json.error.type).toBe('string');
    }
    const scoring = await post('/v1/completions', { prompt: 'Hi', echo: true, logprobs: 1, max_tokens: 0 });
    expect(scoring.status).toBe(400);
    // The test model cannot score tokens; a model folder's LocalLanguageModel can (scored-completions.test.ts).
    expect(scoring.json.error).toMatchObject({ param: 'logprobs' });
    expect(scoring.json.error.message).toContain('the model "attribute-echo" cannot give per-token log-probabilities');
    const missing = await fetch(`${server.url}/v1/files/etc/passwd`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain('no route GET /v1/files/etc/passwd');
  });

  it('has no CORS headers unless asked for', async () => {
    const response = await fetch(`${server.url}/v1/models`, { headers: { origin: 'https://evil.example' } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('steering server access, backpressure and shutdown', () => {
  it('refuses a non-loopback host without an API key, and checks the key when given', async () => {
    await expect(startSteeringServer({ model: new AttributeEchoModel(), host: '0.0.0.0', port: 0 })).rejects.toThrow(
      /refusing to listen on 0.0.0.0 without an API key/,
    );
    const guarded = await startSteeringServer({
      model: new AttributeEchoModel(),
      port: 0,
      apiKey: 'secret-key-123',
      corsOrigin: 'https://app.example',
      log: () => {},
    });
    try {
      const denied = await fetch(`${guarded.url}/v1/models`);
      expect(denied.status).toBe(401);
      expect(((await denied.json()) as { error: { type: string } }).error.type).toBe('authentication_error');
      const wrong = await fetch(`${guarded.url}/v1/models`, { headers: { authorization: 'Bearer secret-key-124' } });
      expect(wrong.status).toBe(401);
      const keyed = new OpenAI({ baseURL: `${guarded.url}/v1`, apiKey: 'secret-key-123', maxRetries: 0 });
      expect((await keyed.models.list()).data).toHaveLength(1);
      const preflight = await fetch(`${guarded.url}/v1/chat/completions`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    } finally {
      await guarded.close();
    }
  });

  it('queues up to its limit, answers 429 beyond it and drains on close (deterministic: answers wait on a gate)', async () => {
    const gate = new Gate();
    const slow = await startSteeringServer({ model: gatedModel(new AttributeEchoModel(), gate), port: 0, maxConcurrent: 2, maxQueued: 2, log: () => {} });
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], stream: true });
    // signal: a request that should be refused but is queued instead fails after 20 s, not at the test timeout.
    const send = (signal?: AbortSignal) =>
      fetch(`${slow.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, ...(signal ? { signal } : {}) }).then(
        async (response) => ({
          status: response.status,
          text: await response.text(),
        }),
      );
    // Two run (held at the gate), two wait in the queue; with every slot taken the next four are refused.
    const admitted = [send(), send()];
    await expect.poll(() => slow.load(), { timeout: 20_000, interval: 5 }).toEqual({ active: 2, queued: 0 });
    admitted.push(send(), send());
    await expect.poll(() => slow.load(), { timeout: 20_000, interval: 5 }).toEqual({ active: 2, queued: 2 });
    const refused = await Promise.all(Array.from({ length: 4 }, () => send(AbortSignal.timeout(20_000))));
    expect(refused.map((result) => result.status)).toEqual([429, 429, 429, 429]);
    expect(refused[0]!.text).toContain('rate_limit_error');
    expect(slow.load()).toEqual({ active: 2, queued: 2 });
    gate.open();
    const done = await Promise.all(admitted);
    expect(done.map((result) => result.status)).toEqual([200, 200, 200, 200]);
    for (const result of done) expect(result.text.trimEnd().endsWith('data: [DONE]')).toBe(true);

    // A request in flight when close() is called still finishes; new ones are refused.
    gate.close();
    const inflight = send();
    await expect.poll(() => slow.load().active, { timeout: 20_000, interval: 5 }).toBe(1);
    const closing = slow.close();
    gate.open();
    const last = await inflight;
    expect(last.status).toBe(200);
    expect(last.text).toContain('[DONE]');
    await closing;
    await expect(fetch(`${slow.url}/health`)).rejects.toThrow();
  });

  it('frees the slot of a streaming client that disconnects mid-answer', async () => {
    const slow = await startSteeringServer({ model: new AttributeEchoModel({ wordDelayMs: 30 }), port: 0, maxConcurrent: 1, maxQueued: 0, log: () => {} });
    try {
      const controller = new AbortController();
      const response = await fetch(`${slow.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], stream: true }),
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      await reader.read();
      expect(slow.load().active).toBe(1);
      controller.abort();
      await expect.poll(() => slow.load(), { timeout: 20_000, interval: 5 }).toEqual({ active: 0, queued: 0 });
      const next = await fetch(`${slow.url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'Hi', max_tokens: 2 }),
      });
      expect(next.status).toBe(200);
    } finally {
      await slow.close();
    }
  });

  it('answers 504 when a request outlives the request timeout', async () => {
    const slow = await startSteeringServer({ model: new AttributeEchoModel({ wordDelayMs: 50 }), port: 0, requestTimeoutMs: 120, log: () => {} });
    try {
      const whole = await fetch(`${slow.url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'Hi' }),
      });
      expect(whole.status).toBe(504);
      const streamed = await fetch(`${slow.url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'Hi', stream: true }),
      });
      const text = await streamed.text();
      expect(text).toContain('"type":"timeout"');
      expect(text).not.toContain('[DONE]');
      expect(slow.load()).toEqual({ active: 0, queued: 0 });
    } finally {
      await slow.close();
    }
  });
});

describe('model names', () => {
  it('answers 404 model_not_found for a model it does not serve, as docs/server-api.md says, and serves its own id, an alias or no name', async () => {
    const wrong = await post('/v1/chat/completions', { model: 'nope', messages: [{ role: 'user', content: 'Hi' }] });
    expect(wrong.status).toBe(404);
    expect(wrong.json.error).toMatchObject({ param: 'model', code: 'model_not_found' });
    expect(wrong.json.error.message).toContain('the model "nope" does not exist; this server serves "attribute-echo"');
    expect((await post('/v1/completions', { model: 'nope', prompt: 'Hi', max_tokens: 2 })).status).toBe(404);
    expect((await post('/v1/chat/completions', { model: 'attribute-echo', messages: [{ role: 'user', content: 'Hi' }] })).status).toBe(200);
    expect((await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'Hi' }] })).status).toBe(200);
    const aliased = await startSteeringServer({ model: new AttributeEchoModel(), modelAliases: ['runs/sft/final'], port: 0, log: () => {} });
    try {
      const response = await fetch(`${aliased.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'runs/sft/final', messages: [{ role: 'user', content: 'Hi' }] }),
      });
      expect(response.status).toBe(200);
      expect((await fetch(`${aliased.url}/v1/models/nope`)).status).toBe(404);
    } finally {
      await aliased.close();
    }
  });
});
