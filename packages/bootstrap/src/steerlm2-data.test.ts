import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conditionPrompt, createOpenAICompatibleModel, formatAttributes, OASST, type LanguageModel } from '@steerlm/core';
import { createCharacterNGramModel, startTestServer, type TestServer } from '@steerlm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributeLogProbability } from './attribute-log-probability';
import { collectAttributeCombinations, pickCombination } from './attribute-combinations';
import type { BootstrapPrompt } from './bootstrap-prompt';
import { generateSteerLM2Data, type SteerLM2Record } from './steerlm2-data';
import { ANNOTATED_CONVERSATIONS, TEMPLATE_TEXTS } from './testing/annotated-conversations';
import { lengthScorer } from './testing/length-scorer';

const policyModel = createCharacterNGramModel({ texts: TEMPLATE_TEXTS, order: 6, modelId: 'policy' });
const referenceModel = createCharacterNGramModel({ texts: TEMPLATE_TEXTS.map((text) => text.replace(/<extra_id_2>[^\n]*\n/g, '')), order: 4, modelId: 'sft' });
const prompts: BootstrapPrompt[] = [
  { id: 'a', turns: [{ role: 'user', text: 'what do cats like?' }] },
  {
    id: 'b',
    system: 'Be brief.',
    turns: [
      { role: 'user', text: 'hi' },
      { role: 'assistant', text: 'hello', attributes: { quality: 4 } },
      { role: 'user', text: 'a joke please' },
    ],
  },
  { id: 'c', turns: [{ role: 'user', text: 'how are fish?' }] },
];
const sampling = { maxTokens: 50, temperature: 1 };

async function readRecords(path: string): Promise<SteerLM2Record[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as SteerLM2Record);
}

describe('generateSteerLM2Data over HTTP', () => {
  let policyServer: TestServer;
  let referenceServer: TestServer;
  let directory: string;
  beforeAll(async () => {
    policyServer = await startTestServer({ model: policyModel });
    referenceServer = await startTestServer({ model: referenceModel });
    directory = await mkdtemp(join(tmpdir(), 'steerlm2-data-'));
  });
  afterAll(async () => {
    await Promise.all([policyServer.close(), referenceServer.close()]);
    await rm(directory, { recursive: true, force: true });
  });

  const options = async (output: string) => ({
    prompts,
    combinations: await collectAttributeCombinations(ANNOTATED_CONVERSATIONS, { schema: OASST }),
    policy: createOpenAICompatibleModel({ baseURL: policyServer.url, model: 'policy', backoff: { initialDelayMs: 5, maxDelayMs: 10 } }),
    reference: createOpenAICompatibleModel({ baseURL: referenceServer.url, model: 'sft', backoff: { initialDelayMs: 5, maxDelayMs: 10 } }),
    scorer: lengthScorer,
    output,
    samplesPerPrompt: 3,
    seed: 9,
    sampling,
  });

  it("writes NeMo-Aligner SteerLM2 records whose three log-probabilities match the models'", async () => {
    const output = join(directory, 'steerlm2.jsonl');
    policyServer.faults.failNext(1, 500).failNext(1, 429, 0);
    const summary = await generateSteerLM2Data(await options(output));
    expect(summary).toMatchObject({ written: 3, resumed: 0, total: 3 });
    const records = await readRecords(output);
    expect(records.map((record) => record.prompt_id).sort()).toEqual(['a', 'b', 'c']);
    const combinations = await collectAttributeCombinations(ANNOTATED_CONVERSATIONS, { schema: OASST });
    for (const record of records) {
      const prompt = prompts.find((candidate) => candidate.id === record.prompt_id)!;
      const attributes = pickCombination(combinations, prompt.id, 9);
      expect(Object.keys(record)).toEqual(['system', 'prompt_turns', 'label', 'responses', 'prompt_id']);
      expect(record.label).toBe(formatAttributes(attributes, OASST));
      expect(record.prompt_turns).toEqual(prompt.turns.map((turn) => ({ from: turn.role === 'user' ? 'User' : 'Assistant', value: turn.text })));
      expect(record.responses).toHaveLength(3);
      const turns = prompt.turns.map(({ role, text }) => ({ role, text }));
      const system = prompt.system !== undefined ? { system: prompt.system } : {};
      for (const response of record.responses) {
        expect(Object.keys(response)).toEqual(['from', 'value', 'log(P(a|x,y))', 'log(P(y|x))', 'log(Q(y|a,x))']);
        const scored = `${response.value}\n<extra_id_1>`;
        const q = await policyModel.logProbability(conditionPrompt({ ...system, turns, attributes, schema: OASST }), scored);
        const p = await referenceModel.logProbability(conditionPrompt({ ...system, turns, schema: OASST }), scored);
        const [score] = await lengthScorer.score([{ context: turns, response: response.value }]);
        expect(response['log(Q(y|a,x))']).toBeCloseTo(q.logProbability, 8);
        expect(response['log(P(y|x))']).toBeCloseTo(p.logProbability, 8);
        expect(response['log(P(a|x,y))']).toBeCloseTo(attributeLogProbability(score!.values, attributes, OASST), 12);
        expect(response['log(P(a|x,y))']).toBeLessThan(0);
      }
    }
  });

  it('leaves out empty responses, and a prompt whose responses are all empty, counted', async () => {
    const output = join(directory, 'empty.jsonl');
    let calls = 0;
    // Prompt a's three samples are empty (a model that ends its turn at once), then every other one.
    const terse: LanguageModel = {
      specificationVersion: 'v1',
      modelId: 'terse',
      logProbability: (prompt, continuation) => policyModel.logProbability(prompt, continuation),
      generate: async (prompt, generate) => {
        calls += 1;
        const empty = prompt.includes('what do cats like?') || calls % 2 === 0;
        return empty ? { text: '', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 } } : policyModel.generate(prompt, generate);
      },
    };
    const summary = await generateSteerLM2Data({ ...(await options(output)), policy: terse, reference: referenceModel, concurrency: 1 });
    const records = await readRecords(output);
    expect(records.map((record) => record.prompt_id).sort()).toEqual(['b', 'c']);
    const kept = records.reduce((total, record) => total + record.responses.length, 0);
    expect(summary).toMatchObject({ written: 2, emptyResponses: 9 - kept });
    expect(kept).toBeGreaterThan(0);
    for (const record of records) for (const response of record.responses) expect(response.value.trim()).not.toBe('');
  });

  it('resumes by prompt id after a torn last line', async () => {
    const output = join(directory, 'resumed.jsonl');
    const complete = await readRecords(join(directory, 'steerlm2.jsonl'));
    await writeFile(output, `${JSON.stringify(complete[0])}\n`);
    await appendFile(output, JSON.stringify(complete[1]).slice(0, 25));
    const summary = await generateSteerLM2Data(await options(output));
    expect(summary).toMatchObject({ written: 2, resumed: 1 });
    const records = await readRecords(output);
    expect(records).toHaveLength(3);
    const sorted = (list: SteerLM2Record[]) => [...list].sort((left, right) => left.prompt_id.localeCompare(right.prompt_id));
    expect(sorted(records)).toEqual(sorted(complete));
  });
});
