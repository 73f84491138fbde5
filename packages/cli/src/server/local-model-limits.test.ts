import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tokenizer } from '@steerlm/core';
import type { DecoderModel } from '@steerlm/sft';
import { tinyByteLanguageModel } from '../testing/tiny-byte-model';
import { startSteeringServer, type SteeringServer } from './start-steering-server';

/** Bytes as ids (mod 256); no EOS, so only a length ends an answer. */
const bytes: Tokenizer = {
  specificationVersion: 'v1',
  vocabSize: 256,
  specialTokens: {},
  encode: (text) => [...new TextEncoder().encode(text)],
  decode: (ids) => String.fromCharCode(...ids.map((id) => 97 + (id % 26))),
  tokenToId: () => undefined,
};

let server: SteeringServer;
let model: DecoderModel;
beforeAll(async () => {
  await tf.setBackend('cpu');
  // The positions of `--init tiny` (512), at a smaller width.
  const lm = tinyByteLanguageModel({ positions: 512, seed: 1, tokenizer: bytes });
  model = lm.model;
  server = await startSteeringServer({ model: lm, port: 0, log: () => {} });
});
afterAll(async () => {
  await server.close();
  model.dispose();
});

type Answer = {
  status: number;
  body: {
    choices?: { finish_reason: string }[];
    usage?: { prompt_tokens: number; completion_tokens: number };
    error?: { message: string; param: string | null; code: string | null };
  };
};

async function post(path: string, request: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(`${server.url}/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  return { status: response.status, body: (await response.json()) as never };
}

async function chat(content: string, extra: Record<string, unknown> = {}): Promise<Answer> {
  return post('chat/completions', { messages: [{ role: 'user', content }], temperature: 0, stop: [], ...extra });
}

describe('a local model with few positions behind the server', () => {
  it('answers a long prompt with the default max_tokens by stopping at the last position (finish_reason length, not 500)', async () => {
    const { status, body } = await chat('Tell me everything. '.repeat(8));
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.choices![0]!.finish_reason).toBe('length');
    // Every position is used: the prompt's tokens, then answers fed back, and one last sampled token.
    expect(body.usage!.prompt_tokens + body.usage!.completion_tokens).toBe(513);
    expect(body.usage!.completion_tokens).toBeLessThan(512);
  }, 60_000);

  it('refuses a prompt longer than the positions with a 400 that says so', async () => {
    const { status, body } = await chat('x'.repeat(600));
    expect(status).toBe(400);
    expect(body.error!.message).toMatch(/the prompt is \d+ tokens, more than the model's 512 positions/);
    // OpenAI's shape for a context overrun, so clients (and core's remote model) can tell it from an outage.
    expect(body.error).toMatchObject({ param: 'messages', code: 'context_length_exceeded' });
  });

  it('refuses a too-long streamed request with the same 400 before any stream starts', async () => {
    const { status, body } = await chat('x'.repeat(600), { stream: true });
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ param: 'messages', code: 'context_length_exceeded' });
  });

  it('names prompt as the param of a too-long completion request', async () => {
    const { status, body } = await post('completions', { prompt: 'x'.repeat(600), max_tokens: 4 });
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ param: 'prompt', code: 'context_length_exceeded' });
  });
});
