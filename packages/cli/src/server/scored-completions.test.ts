import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAICompatibleModel, type Tokenizer } from '@steerlm/core';
import { LocalLanguageModel } from '@steerlm/sft';
import { AttributeEchoModel } from '../models';
import { byteTokenizer, tinyByteLanguageModel } from '../testing/tiny-byte-model';
import type { CompletionLogprobs } from './answer-scored-completion';
import { createSteeringApp } from './create-steering-app';
import { startSteeringServer, type SteeringServer } from './start-steering-server';

/** The parts of a response body (a completion or an error) these tests read. */
interface ResponseJson {
  choices: { text: string; finish_reason: string; logprobs: CompletionLogprobs | null }[];
  usage: Record<string, number>;
  error: { message: string; param?: string; code?: string };
}

let server: SteeringServer;
let lm: LocalLanguageModel;
const prompt = '<extra_id_1>User\nHi é!\n<extra_id_1>Assistant\n';
const continuation = 'Hello €5 there.\n<extra_id_1>';

beforeAll(async () => {
  await tf.setBackend('cpu');
  lm = tinyByteLanguageModel({ positions: 256, seed: 5 });
  server = await startSteeringServer({ model: lm, port: 0, maxTokens: 16, log: () => {} });
});
afterAll(async () => {
  await server.close();
  lm.model.dispose();
});

async function complete(body: Record<string, unknown>): Promise<{ status: number; json: ResponseJson }> {
  const response = await fetch(`${server.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as ResponseJson };
}

describe('/v1/completions echo and logprobs (legacy OpenAI scoring)', () => {
  it('scores the echoed prompt at max_tokens 0: the sum past the prompt equals LocalLanguageModel.logProbability', async () => {
    const text = prompt + continuation;
    const { status, json } = await complete({ model: 'tiny', prompt: text, max_tokens: 0, echo: true, logprobs: 1 });
    expect(status).toBe(200);
    const choice = json.choices[0];
    expect(choice.text).toBe(text);
    expect(choice.finish_reason).toBe('length');
    const logprobs = choice.logprobs as CompletionLogprobs;
    expect(Object.keys(logprobs).sort()).toEqual(['text_offset', 'token_logprobs', 'tokens', 'top_logprobs']);
    expect(logprobs.tokens.join('')).toBe(text);
    expect(logprobs.tokens.length).toBe(new TextEncoder().encode(text).length);
    expect(logprobs.token_logprobs[0]).toBeNull();
    expect(logprobs.top_logprobs![0]).toBeNull();
    expect(logprobs.text_offset[0]).toBe(0);
    for (let index = 1; index < logprobs.tokens.length; index++) {
      const top = logprobs.top_logprobs![index]!;
      expect(Object.keys(top).length).toBeGreaterThanOrEqual(1);
      expect(Object.keys(top).length).toBeLessThanOrEqual(2);
      // The best alternative is at least as likely as the token itself.
      expect(Math.max(...Object.values(top))).toBeGreaterThanOrEqual(logprobs.token_logprobs[index]!);
    }
    let sum = 0;
    logprobs.token_logprobs.forEach((value, index) => {
      const end = index + 1 < logprobs.text_offset.length ? logprobs.text_offset[index + 1]! : text.length;
      if (end > prompt.length) sum += value!;
    });
    const local = await lm.logProbability(prompt, continuation);
    expect(local.logProbability).toBeLessThan(-10);
    expect(Math.abs(sum - local.logProbability)).toBeLessThan(1e-4);
  });

  it("lets core's createOpenAICompatibleModel(...).logProbability against steerlm serve equal the local value", async () => {
    const remote = createOpenAICompatibleModel({ baseURL: `${server.url}/v1`, model: 'tiny', retries: 0 });
    for (const [head, tail] of [
      [prompt, continuation],
      ['ab', 'é€'],
      ['abcé', 'x'],
    ] as const) {
      const local = await lm.logProbability(head, tail);
      const served = await remote.logProbability(head, tail);
      expect(served.tokens).toBe(local.tokens);
      expect(Math.abs(served.logProbability - local.logProbability)).toBeLessThan(1e-4);
    }
  });

  it('echoes the prompt before the generated text when logprobs are not asked for', async () => {
    const { status, json } = await complete({ prompt: 'abc', max_tokens: 3, echo: true, temperature: 0 });
    expect(status).toBe(200);
    const generated = await lm.generate('abc', { maxTokens: 3, temperature: 0 });
    expect(json.choices[0].text).toBe(`abc${generated.text}`);
    expect(json.choices[0].logprobs).toBeNull();
    expect(json.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 3 });
  });

  it('gives the generated tokens their log-probabilities (no echo), with the top alternatives and offsets after the prompt', async () => {
    // Every id decodes to one character and back, so the generated text tokenizes to the generated ids
    // (random bytes are often no valid UTF-8, and would come back as other tokens).
    const oneCharacterEach: Tokenizer = {
      ...byteTokenizer,
      encode: (text) => [...text].map((character) => (character.charCodeAt(0) < 128 ? character.charCodeAt(0) : character.charCodeAt(0) - 0x100)),
      decode: (ids) => ids.map((id) => String.fromCharCode(id < 128 ? id : 0x100 + id)).join(''),
    };
    const { app } = createSteeringApp({ model: new LocalLanguageModel(lm.model, oneCharacterEach), maxTokens: 16, log: () => {} });
    const response = await app.request('/v1/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'hello', max_tokens: 4, temperature: 0, logprobs: 3, stop: ['\u0000'] }),
    });
    expect(response.status).toBe(200);
    const json = (await response.json()) as ResponseJson;
    const choice = json.choices[0];
    const logprobs = choice.logprobs as CompletionLogprobs;
    expect(logprobs.tokens.join('')).toBe(choice.text);
    expect(logprobs.text_offset[0]).toBe(5);
    const scored = await new LocalLanguageModel(lm.model, oneCharacterEach).scoreTokens(`hello${choice.text as string}`, { topLogprobs: 3 });
    expect(choice.text).toHaveLength(4);
    const tail = scored.slice(5);
    expect(logprobs.token_logprobs).toHaveLength(tail.length);
    tail.forEach((token, index) => {
      expect(logprobs.token_logprobs[index]).toBeCloseTo(token.logProbability!, 5);
      const top = logprobs.top_logprobs![index]!;
      expect(Object.keys(top).length).toBeGreaterThanOrEqual(3);
      expect(Object.keys(top).length).toBeLessThanOrEqual(4);
      // Greedy decoding picks the most likely token.
      expect(logprobs.token_logprobs[index]).toBeCloseTo(Math.max(...Object.values(top)), 5);
    });
  });

  it('answers bad values and unservable combinations with 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ prompt: 'a', echo: true, logprobs: 6, max_tokens: 0 }, 'logprobs'],
      [{ prompt: 'a', logprobs: -1 }, 'logprobs'],
      [{ prompt: 'a', logprobs: 1.5 }, 'logprobs'],
      [{ prompt: 'a', echo: 'yes' }, 'echo'],
      [{ prompt: 'a', max_tokens: 0 }, 'max_tokens'],
      [{ prompt: 'a', echo: true, logprobs: 1, stream: true }, 'stream'],
    ];
    for (const [body, param] of cases) {
      const { status, json } = await complete(body);
      expect(status, JSON.stringify(body)).toBe(400);
      expect(json.error.param, JSON.stringify(body)).toBe(param);
    }
    const { json } = await complete({ prompt: 'a', logprobs: 9 });
    expect(json.error.message).toMatch(/at most 5/);
  });

  it('answers 400 with a context-length error for a text longer than the model scores', async () => {
    const { status, json } = await complete({ prompt: 'x'.repeat(400), echo: true, logprobs: 0, max_tokens: 0 });
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ param: 'prompt', code: 'context_length_exceeded' });
  });
});

describe('/v1/completions echo and logprobs on a model that cannot score tokens', () => {
  const { app } = createSteeringApp({ model: new AttributeEchoModel(), log: () => {} });
  const post = async (body: Record<string, unknown>) => {
    const response = await app.request('/v1/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as ResponseJson };
  };

  it('answers logprobs with a 400 that says the model cannot score', async () => {
    const { status, json } = await post({ prompt: 'hi', echo: true, logprobs: 1, max_tokens: 0 });
    expect(status).toBe(400);
    expect(json.error.param).toBe('logprobs');
    expect(json.error.message).toMatch(/attribute-echo.*cannot give per-token log-probabilities/);
  });

  it('still echoes the prompt', async () => {
    const prompt = '<extra_id_2>humor:4\n';
    const { status, json } = await post({ prompt, echo: true, max_tokens: 8 });
    expect(status).toBe(200);
    expect(json.choices[0]).toMatchObject({ text: `${prompt}Steered to humor four.`, logprobs: null });
  });
});
