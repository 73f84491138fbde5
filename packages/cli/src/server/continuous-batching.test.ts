import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecoderModel, parseModelConfig, selectBackend, trainByteLevelBpe, writeByteLevelBpeTokenizer, type LocalLanguageModel } from '@steerlm/sft';
import { loadLanguageModel } from '../models';
import { startSteeringServer, type SteeringServer } from './start-steering-server';

let folder: string;
let batched: LocalLanguageModel;
let server: SteeringServer;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-continuous-batching-'));
  await selectBackend({ prefer: 'cpu', strict: true });
  const corpus = Array.from({ length: 120 }, (_, index) => `a chat between a user and an assistant, answer number ${index} tells a joke`);
  await writeByteLevelBpeTokenizer(folder, await trainByteLevelBpe(corpus, { vocabSize: 300 }));
  const decoder = DecoderModel.create(
    parseModelConfig({
      architectures: ['LlamaForCausalLM'],
      vocab_size: 384,
      hidden_size: 32,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      max_position_embeddings: 512,
    }),
    { seed: 3 },
  );
  await decoder.save(folder);
  decoder.dispose();
  // The default engine (onnxruntime on cpu) in a worker thread, as `steerlm serve` loads it.
  const loaded = await loadLanguageModel(folder, { backend: 'cpu', continuousBatching: { maxRows: 8 }, onnxruntime: { worker: true } });
  expect(loaded.engine).toBe('onnxruntime');
  batched = loaded.model as LocalLanguageModel;
  server = await startSteeringServer({ model: batched, port: 0, maxTokens: 480, maxConcurrent: 8, log: () => {} });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await rm(folder, { recursive: true, force: true });
});

const requests = [
  { messages: [{ role: 'user', content: 'Tell me a joke.' }], max_tokens: 10, temperature: 0, steerlm: { attributes: { humor: 4 } } },
  { messages: [{ role: 'user', content: 'Tell me a joke.' }], max_tokens: 12, temperature: 0.8, seed: 5, steerlm: { attributes: { humor: 3 }, guidance: 2 } },
  { messages: [{ role: 'user', content: 'Answer, please.' }], max_tokens: 8, temperature: 0, stream: true },
  { prompt: 'a chat between', max_tokens: 6, temperature: 0 },
];

async function answer(url: string, body: (typeof requests)[number]): Promise<string> {
  const path = 'messages' in body ? '/v1/chat/completions' : '/v1/completions';
  const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  if (body.stream !== true) {
    const json = (await response.json()) as { choices: { message?: { content: string }; text?: string }[] };
    return json.choices[0]!.message?.content ?? json.choices[0]!.text!;
  }
  let text = '';
  for (const line of (await response.text()).split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    text += (JSON.parse(line.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '';
  }
  return text;
}

describe('steerlm serve with continuous batching', () => {
  it('decodes concurrent requests in one batch, each answered as it is alone, on either engine and either thread', async () => {
    const together = await Promise.all(requests.map((body) => answer(server.url, body)));
    // Four requests, the guided one on two rows.
    expect(batched.batcher!.peakRows).toBe(5);
    const alone = await startSteeringServer({ model: (await loadLanguageModel(folder, { backend: 'cpu' })).model, port: 0, maxTokens: 64, log: () => {} });
    const tfjs = (await loadLanguageModel(folder, { backend: 'cpu', engine: 'tfjs', continuousBatching: { maxRows: 8 } })).model as LocalLanguageModel;
    const onTfjs = await startSteeringServer({ model: tfjs, port: 0, maxTokens: 64, log: () => {} });
    const mainThread = (await loadLanguageModel(folder, { backend: 'cpu', continuousBatching: { maxRows: 8 } })).model as LocalLanguageModel;
    const onMainThread = await startSteeringServer({ model: mainThread, port: 0, maxTokens: 64, log: () => {} });
    try {
      const expected: string[] = [];
      for (const body of requests) expected.push(await answer(alone.url, body));
      expect(together).toEqual(expected);
      expect(together.every((text) => text.length > 0)).toBe(true);
      expect(await Promise.all(requests.map((body) => answer(onTfjs.url, body)))).toEqual(expected);
      expect(tfjs.batcher!.peakRows).toBeGreaterThanOrEqual(2);
      expect(await Promise.all(requests.map((body) => answer(onMainThread.url, body)))).toEqual(expected);
      expect(mainThread.batcher!.peakRows).toBeGreaterThanOrEqual(2);
    } finally {
      await alone.close();
      await onTfjs.close();
      await onMainThread.close();
    }
  }, 120_000);

  it("reports a stream's real finish reason and token usage in its last chunks, as the answer without streaming", async () => {
    const post = (body: object) =>
      fetch(`${server.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const request = { prompt: 'a chat between', max_tokens: 7, temperature: 0 };
    const whole = (await (await post(request)).json()) as { choices: { finish_reason: string }[]; usage: Record<string, number> };
    expect(whole.usage.completion_tokens).toBe(7);
    const lines = (await (await post({ ...request, stream: true, stream_options: { include_usage: true } })).text())
      .split('\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => JSON.parse(line.slice(6)) as { choices: { finish_reason?: string | null }[]; usage?: Record<string, number> });
    expect(lines.at(-1)!.usage).toEqual(whole.usage);
    expect(lines.at(-2)!.choices[0]!.finish_reason).toBe(whole.choices[0]!.finish_reason);
  }, 30_000);

  it('drops the rows of a client that disconnects', async () => {
    const controller = new AbortController();
    const response = await fetch(`${server.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a chat between', max_tokens: 480, temperature: 0, stream: true }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    expect(batched.batcher!.activeRows).toBe(1);
    controller.abort();
    const started = Date.now();
    while (batched.batcher!.activeRows > 0 && Date.now() - started < 5_000) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(batched.batcher!.activeRows).toBe(0);
    // Gone within a few steps, long before its 480 tokens.
    expect(Date.now() - started).toBeLessThan(500);
  }, 30_000);
});
