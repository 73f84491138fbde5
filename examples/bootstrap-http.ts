/**
 * SteerLM bootstrap over HTTP: any OpenAI-compatible server (vLLM, TGI, NIM, llama.cpp) serving a
 * SteerLM model generates the responses; with --steerlm2 the same server also scores them
 * (echo + logprobs, as vLLM supports) to write SteerLM 2.0 training records. Re-running resumes.
 *
 *   npx tsx examples/bootstrap-http.ts --base-url http://localhost:8000/v1 --model my-steerlm --output out.jsonl
 *   STEERLM_BASE_URL=http://localhost:8000/v1 STEERLM_MODEL=my-steerlm npx tsx examples/bootstrap-http.ts --steerlm2
 *
 * Without a base URL, it starts the project's test server with a tiny local model and uses that.
 */
import { parseArgs } from 'node:util';
import { collectAttributeCombinations, type BootstrapPrompt } from '@steerlm/bootstrap';
import { generateSteerLM2Data, runBootstrap } from '@steerlm/bootstrap/node';
import { clampToScale, createOpenAICompatibleModel, OASST, steerlmTemplate, type AttributeScorer, type Conversation } from '@steerlm/core';

const { values: flags } = parseArgs({
  options: {
    'base-url': { type: 'string', default: process.env.STEERLM_BASE_URL },
    model: { type: 'string', default: process.env.STEERLM_MODEL },
    'api-key': { type: 'string', default: process.env.STEERLM_API_KEY },
    output: { type: 'string', default: 'bootstrap-http.jsonl' },
    prompts: { type: 'string', default: '8' },
    samples: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '4' },
    'timeout-ms': { type: 'string', default: '60000' },
    steerlm2: { type: 'boolean', default: false },
  },
});

const annotated: Conversation[] = [
  ['What do cats like?', 'Cats like warm windowsills, long naps and chasing small toys.', { quality: 4, toxicity: 0, humor: 1, creativity: 2 }],
  ['Tell me a joke.', 'Why did the cat sit on the computer? To keep an eye on the mouse!', { quality: 4, toxicity: 0, humor: 4, creativity: 3 }],
  ['How do fish sleep?', 'Fish rest by slowing down; most keep their eyes open.', { quality: 3, toxicity: 0, humor: 0, creativity: 1 }],
  ['Write a tiny poem.', 'Moonlight on the lake, a heron waits, the water keeps its secrets.', { quality: 4, toxicity: 0, humor: 0, creativity: 4 }],
].map(([user, assistant, attributes]) => ({
  turns: [
    { role: 'user' as const, text: user as string },
    { role: 'assistant' as const, text: assistant as string, attributes: attributes as Record<string, number> },
  ],
}));

let baseURL = flags['base-url'];
let modelName = flags.model;
let stopServer: (() => Promise<void>) | undefined;
if (!baseURL) {
  // Demo mode: serve a tiny SteerLM-speaking model locally over the real OpenAI protocol.
  const { createCharacterNGramModel, startTestServer } = await import('@steerlm/test-server');
  const tiny = createCharacterNGramModel({
    texts: annotated.map((conversation) => steerlmTemplate.render(conversation, { schema: OASST }) + steerlmTemplate.stopStrings[0]),
    order: 7,
    modelId: 'tiny-steerlm',
  });
  const server = await startTestServer({ model: tiny });
  baseURL = server.url;
  modelName = 'tiny-steerlm';
  stopServer = () => server.close();
  console.error(`no --base-url given: serving a tiny model at ${server.url}`);
}
if (!modelName) throw new Error('give the served model name with --model or STEERLM_MODEL');

const model = createOpenAICompatibleModel({
  baseURL,
  model: modelName,
  ...(flags['api-key'] ? { apiKey: flags['api-key'] } : {}),
  concurrency: Number(flags.concurrency),
  timeoutMs: Number(flags['timeout-ms']),
  retries: 4,
  backoff: { initialDelayMs: 200, maxDelayMs: 10_000 },
});

// A transparent heuristic re-annotator; a trained attribute prediction model goes here in practice.
const scorer: AttributeScorer = {
  specificationVersion: 'v1',
  schema: OASST,
  async score(inputs) {
    return inputs.map(({ response }) => {
      const words = response.split(/\s+/).filter(Boolean);
      const values = {
        quality: Math.min(4, words.length / 4),
        toxicity: 0,
        humor: (response.match(/[!?]/g) ?? []).length * 1.5,
        creativity: words.length === 0 ? 0 : (4 * new Set(words).size) / words.length,
      };
      const rounded = Object.fromEntries(Object.entries(values).map(([name, value]) => [name, clampToScale(value, OASST.get(name)!)]));
      return { values, rounded };
    });
  },
};

const questions = ['What do cats like?', 'Tell me a joke.', 'Write a tiny poem.', 'How do fish sleep?'];
const prompts: BootstrapPrompt[] = Array.from({ length: Number(flags.prompts) }, (_, index) => ({
  id: `prompt-${index}`,
  turns: [{ role: 'user', text: questions[index % questions.length]! }],
}));
const combinations = await collectAttributeCombinations(annotated, { schema: OASST });
const onProgress = (event: { type: string; step?: number; total?: number; rate?: number; etaMs?: number }) => {
  if (event.type === 'step-end') console.error(`${event.step}/${event.total} ${event.rate?.toFixed(1)}/s eta ${Math.round((event.etaMs ?? 0) / 1000)}s`);
};

try {
  const common = {
    prompts,
    combinations,
    scorer,
    output: flags.output,
    samplesPerPrompt: Number(flags.samples),
    sampling: { topK: 50, temperature: 0.8, maxTokens: 200 },
    onProgress,
  };
  const summary = flags.steerlm2 ? await generateSteerLM2Data({ ...common, policy: model, reference: model }) : await runBootstrap({ ...common, model });
  console.log(JSON.stringify({ mode: flags.steerlm2 ? 'steerlm2' : 'bootstrap', baseURL: model.baseURL, ...summary, output: flags.output }));
} finally {
  await stopServer?.();
}
