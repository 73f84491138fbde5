import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSteerLM2Data, type SteerLM2Record } from '@steerlm/bootstrap/node';
import { clampToScale, createOpenAICompatibleModel, OASST, type AttributeScorer } from '@steerlm/core';
import type { LocalLanguageModel } from '@steerlm/sft';
import { tinyByteLanguageModel } from '../testing/tiny-byte-model';
import { startSteeringServer, type SteeringServer } from './start-steering-server';

/** A deterministic OASST scorer: quality grows with length, the rest fixed. */
const lengthScorer: AttributeScorer = {
  specificationVersion: 'v1',
  schema: OASST,
  async score(inputs) {
    return inputs.map(({ response }) => {
      const values = { quality: response.length / 3, toxicity: 0, humor: 1, creativity: 2 };
      const rounded = Object.fromEntries(Object.entries(values).map(([name, value]) => [name, clampToScale(value, OASST.get(name)!)]));
      return { values, rounded };
    });
  },
};

let server: SteeringServer;
let lm: LocalLanguageModel;
let directory: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  lm = tinyByteLanguageModel({ positions: 512, seed: 7 });
  server = await startSteeringServer({ model: lm, port: 0, maxTokens: 16, schema: OASST, log: () => {} });
  directory = await mkdtemp(join(tmpdir(), 'steerlm2-serve-'));
});
afterAll(async () => {
  await server.close();
  lm.model.dispose();
  await rm(directory, { recursive: true, force: true });
});

async function records(path: string): Promise<SteerLM2Record[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as SteerLM2Record);
}

describe('SteerLM 2.0 data through steerlm serve (docs/bootstrap.md)', () => {
  it('gives the same records over HTTP as with the local model', async () => {
    const remote = createOpenAICompatibleModel({ baseURL: `${server.url}/v1`, model: 'tiny', retries: 0 });
    const common = {
      prompts: [
        { id: 'a', turns: [{ role: 'user' as const, text: 'what do cats like?' }] },
        { id: 'b', system: 'Be brief.', turns: [{ role: 'user' as const, text: 'a joke please' }] },
      ],
      combinations: [{ quality: 4, toxicity: 0, humor: 1, creativity: 2 }],
      scorer: lengthScorer,
      samplesPerPrompt: 2,
      seed: 3,
      sampling: { maxTokens: 8, temperature: 1, topK: 50 },
    };
    await generateSteerLM2Data({ ...common, policy: lm, reference: lm, output: join(directory, 'local.jsonl') });
    await generateSteerLM2Data({ ...common, policy: remote, reference: remote, output: join(directory, 'served.jsonl') });
    const local = await records(join(directory, 'local.jsonl'));
    const served = await records(join(directory, 'served.jsonl'));
    expect(served).toHaveLength(2);
    expect(served.map((record) => record.prompt_id)).toEqual(local.map((record) => record.prompt_id));
    served.forEach((record, index) => {
      expect(record.responses).toHaveLength(2);
      record.responses.forEach((response, sample) => {
        const expected = local[index]!.responses[sample]!;
        expect(response.value).toBe(expected.value);
        for (const key of ['log(P(a|x,y))', 'log(P(y|x))', 'log(Q(y|a,x))'] as const) {
          expect(response[key]).toBeLessThan(0);
          expect(Math.abs(response[key] - expected[key]), `${record.prompt_id}[${sample}] ${key}`).toBeLessThan(1e-4);
        }
      });
    });
  });
});
