import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conditionPrompt, createOpenAICompatibleModel, STEERLM, type GenerateOptions, type LanguageModel } from '@steerlm/core';
import { startSteeringServer, type SteeringServer } from './start-steering-server';

/** A model that records what each request asked it to decode. */
const calls: { prompt: string; options: GenerateOptions | undefined }[] = [];
const recording: LanguageModel = {
  specificationVersion: 'v1',
  modelId: 'recording',
  async generate(prompt, options) {
    calls.push({ prompt, options });
    return { text: 'ok', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 } };
  },
  async *stream(prompt, options) {
    calls.push({ prompt, options });
    yield 'ok';
  },
  logProbability: async () => ({ logProbability: 0, tokens: 0 }),
};

let server: SteeringServer;

beforeAll(async () => {
  server = await startSteeringServer({ model: recording, port: 0, maxTokens: 16, maxPromptCharacters: 4_000, log: () => {} });
});
afterAll(async () => {
  await server.close();
});

async function post(
  path: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> & { error?: { param: string | null; message: string } } }> {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const messages = [{ role: 'user', content: 'Tell me a joke.' }];
const label = (attributes?: Record<string, number>) =>
  conditionPrompt({ prompt: 'Tell me a joke.', ...(attributes ? { attributes: { ...STEERLM.defaults(), ...attributes } } : {}) });

async function chat(steerlm: unknown): Promise<{ prompt: string; mixPrompts: GenerateOptions['mixPrompts']; body: Record<string, unknown> }> {
  calls.length = 0;
  const { status, json } = await post('/v1/chat/completions', { messages, steerlm });
  expect(status, JSON.stringify(json)).toBe(200);
  expect(calls).toHaveLength(1);
  return { prompt: calls[0]!.prompt, mixPrompts: calls[0]!.options?.mixPrompts, body: json };
}

describe('steerlm.guidance and fractional attributes', () => {
  it('a bare scale guides against the unlabelled prompt, and the response echoes it', async () => {
    const { prompt, mixPrompts, body } = await chat({ attributes: { humor: 4 }, guidance: 2 });
    expect(prompt).toBe(label({ humor: 4 }));
    expect(mixPrompts).toEqual([{ prompt: label(), weight: -1 }]);
    expect(body.steerlm).toEqual({ attributes: { ...STEERLM.defaults(), humor: 4 }, guidance: { scale: 2 } });
  });

  it('a neutral label puts its values in place of the requested ones', async () => {
    const { prompt, mixPrompts } = await chat({ attributes: { humor: 4 }, guidance: { scale: 1.5, neutral: { humor: 0 } } });
    expect(prompt).toBe(label({ humor: 4 }));
    expect(mixPrompts).toEqual([{ prompt: label({ humor: 0 }), weight: -0.5 }]);
  });

  it('scale 1 and integer values decode the plain prompt with no mix', async () => {
    const { prompt, mixPrompts } = await chat({ attributes: { humor: 3 }, guidance: { scale: 1, neutral: { humor: 0 } } });
    expect(prompt).toBe(label({ humor: 3 }));
    expect(mixPrompts).toBeUndefined();
  });

  it('a fractional value interpolates the neighbouring labels, on completions too', async () => {
    const { prompt, mixPrompts } = await chat({ attributes: { humor: 2.5 } });
    expect(prompt).toBe(label({ humor: 2 }));
    expect(mixPrompts).toEqual([{ prompt: label({ humor: 3 }), weight: 0.5 }]);
    calls.length = 0;
    const streamed = await fetch(`${server.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Tell me a joke.', stream: true, steerlm: { attributes: { humor: 2.5 }, guidance: 3 } }),
    });
    expect(await streamed.text()).toContain('[DONE]');
    expect(calls[0]!.prompt).toBe(label({ humor: 2 }));
    expect(calls[0]!.options?.mixPrompts).toEqual([
      { prompt: label({ humor: 3 }), weight: 1.5 },
      { prompt: label(), weight: -2 },
    ]);
  });

  it('refuses bad guidance and attribute values with 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ guidance: 11 }, 'steerlm.guidance'],
      [{ guidance: 'strong' }, 'steerlm.guidance'],
      [{ guidance: { scale: 2, neutral: { humor: 9 } } }, 'steerlm.guidance.neutral.humor'],
      [{ guidance: { scale: 2, neutral: { wit: 1 } } }, 'steerlm.guidance.neutral.wit'],
      [{ guidance: { scale: 2, strength: 1 } }, 'steerlm.guidance.strength'],
      [{ attributes: { humor: 4.5 } }, 'steerlm.attributes.humor'],
      [{ attributes: { humor: 0.5, toxicity: 0.5, creativity: 0.5, verbosity: 0.5 } }, 'steerlm.attributes.verbosity'],
      [{ mix_prompts: [{ prompt: 'x', weight: 1 }] }, 'steerlm.mix_prompts'],
    ];
    for (const [steerlm, param] of cases) {
      const { status, json } = await post('/v1/chat/completions', { messages, steerlm });
      expect({ steerlm, status, param: json.error?.param }).toEqual({ steerlm, status: 400, param });
    }
    const mixed = await post('/v1/completions', { prompt: 'x', steerlm: { guidance: 2, mix_prompts: [] } });
    expect([mixed.status, mixed.json.error?.param]).toEqual([400, 'steerlm.mix_prompts']);
  });

  it("core's OpenAI-compatible model passes mixPrompts through as raw steerlm.mix_prompts", async () => {
    const remote = createOpenAICompatibleModel({ baseURL: `${server.url}/v1`, model: 'recording', retries: 0 });
    const mixPrompts = [{ prompt: 'neutral text', weight: -1 }];
    calls.length = 0;
    await remote.generate('raw text', { mixPrompts, maxTokens: 4 });
    for await (const piece of remote.stream('raw text', { mixPrompts, maxTokens: 4 })) expect(piece).toBe('ok');
    await remote.generate('plain', { maxTokens: 4 });
    expect(calls.map((call) => [call.prompt, call.options?.mixPrompts])).toEqual([
      ['raw text', mixPrompts],
      ['raw text', mixPrompts],
      ['plain', undefined],
    ]);
  });
});
