import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conditionPrompt, ContextLengthError, createOpenAICompatibleModel, HELPSTEER, type LanguageModel } from '@steerlm/core';
import { createCharacterNGramModel, startTestServer, type TestServer } from '@steerlm/test-server';
import { textStatistics } from '../text-statistics/text-statistics';
import { evaluateAttributeAdherence } from './attribute-adherence';
import { createGroundTruthScorer, levelOf, textStatisticMeasure } from './ground-truth-scorer';

// Responses whose word counts land in verbosity levels 0..3 under the boundaries [2, 4, 8, 16]. The
// model is deliberately miscalibrated: it learns the level-3 answer for verbosity 4 as well.
const responses = [
  'Zyx.',
  'Quokkas hop quietly.',
  'Velvet kumquats juggle over bright marshes.',
  'Eleven jovial walruses knitted purple scarves while humming ancient sea shanties at dusk.',
];
const trainedLevel = [0, 1, 2, 3, 3];
const wordBoundaries = [2, 4, 8, 16];
const prompts = ['Tell me about cats.', 'Describe the ocean.'];

function trainingTexts(): string[] {
  return prompts.flatMap((prompt) =>
    trainedLevel.map(
      (level, verbosity) => conditionPrompt({ prompt, schema: HELPSTEER, attributes: { ...HELPSTEER.defaults(), verbosity } }) + responses[level]!,
    ),
  );
}

const scorer = createGroundTruthScorer({ schema: HELPSTEER, measures: { verbosity: textStatisticMeasure('words', wordBoundaries), complexity: () => 2 } });

describe('ground-truth scorer', () => {
  it('maps word counts onto levels and rounds onto the scale', async () => {
    expect(levelOf(0, wordBoundaries)).toBe(0);
    expect(levelOf(4, wordBoundaries)).toBe(2);
    expect(levelOf(99, wordBoundaries)).toBe(4);
    const scores = await scorer.score(responses.map((response) => ({ context: [{ role: 'user', text: 'q' }], response })));
    expect(scores.map((score) => score.rounded.verbosity)).toEqual([0, 1, 2, 3]);
    expect(scorer.schema.names).toEqual(['complexity', 'verbosity']);
    expect(() => createGroundTruthScorer({ schema: HELPSTEER, measures: { humor: () => 0 } })).toThrow(/not an attribute/);
  });
});

describe('attribute adherence against a tiny local model served over HTTP', () => {
  let server: TestServer;
  let model: LanguageModel;

  beforeAll(async () => {
    server = await startTestServer({ model: createCharacterNGramModel({ texts: trainingTexts(), order: 10, modelId: 'tiny-ngram' }) });
    model = createOpenAICompatibleModel({ baseURL: server.url, model: 'tiny-ngram', timeoutMs: 20_000 });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('reports MAE, Spearman and the steering curve of a verbosity sweep', async () => {
    const result = await evaluateAttributeAdherence({
      model,
      scorer,
      schema: HELPSTEER,
      prompts,
      grid: ['verbosity'],
      generate: { temperature: 0, maxTokens: 160 },
      concurrency: 2,
    });
    expect(result.modelId).toBe('tiny-ngram');
    expect(result.fixed).toEqual({ helpfulness: 4, correctness: 4, coherence: 4, complexity: 2 });
    expect(result.samples).toHaveLength(10);
    // The model reproduces what it learned for each requested level.
    for (const sample of result.samples) expect(sample.response).toBe(responses[trainedLevel[sample.requested.verbosity!]!]);
    // The scorer's measurements agree with an independent word count.
    for (const sample of result.samples) expect(sample.measured.verbosity).toBe(levelOf(textStatistics(sample.response).words, wordBoundaries));

    const [verbosity] = result.attributes;
    // Measured [0, 1, 2, 3, 3] for requested [0, 1, 2, 3, 4], two prompts each: MAE = 2/10.
    expect(verbosity!.meanAbsoluteError).toBeCloseTo(0.2, 12);
    // Hand-computed on ranks: cov 76, variances 80 and 76 → ρ = √(76/80).
    expect(verbosity!.spearman).toBeCloseTo(Math.sqrt(0.95), 12);
    expect(verbosity!.exactMatchRate).toBeCloseTo(0.8, 12);
    expect(verbosity!.curve.map((point) => [point.requested, point.meanMeasured, point.count])).toEqual([
      [0, 0, 2],
      [1, 1, 2],
      [2, 2, 2],
      [3, 3, 2],
      [4, 3, 2],
    ]);
    expect(server.stats.byRoute['POST /v1/completions']).toBeGreaterThanOrEqual(10);
  });

  it('sweeps a two-attribute grid: every combination, curves marginal per attribute, constant measure has no ρ', async () => {
    const local = createCharacterNGramModel({ texts: trainingTexts(), order: 10 });
    const result = await evaluateAttributeAdherence({
      model: local,
      scorer,
      schema: HELPSTEER,
      prompts: [prompts[0]!],
      grid: { verbosity: [0, 4], complexity: [0, 2] },
      generate: { temperature: 0, maxTokens: 160 },
      samples: 2,
    });
    expect(result.samples).toHaveLength(2 * 2 * 2);
    expect(new Set(result.samples.map((sample) => `${sample.requested.verbosity}/${sample.requested.complexity}`))).toEqual(
      new Set(['0/0', '0/2', '4/0', '4/2']),
    );
    const [verbosity, complexity] = result.attributes;
    expect(verbosity!.curve.map((point) => point.count)).toEqual([4, 4]);
    expect(verbosity!.curve.map((point) => point.meanMeasured)).toEqual([0, 3]);
    expect(complexity!.spearman).toBeNull();
    expect(complexity!.meanAbsoluteError).toBeCloseTo(1, 12);
  });

  it('rejects attributes the schema or the scorer does not know', async () => {
    await expect(evaluateAttributeAdherence({ model, scorer, schema: HELPSTEER, prompts, grid: ['humour'] })).rejects.toThrow(/not in the schema/);
    await expect(evaluateAttributeAdherence({ model, scorer, schema: HELPSTEER, prompts, grid: ['helpfulness'] })).rejects.toThrow(
      /does not measure "helpfulness"/,
    );
  });
});

describe('prompts beyond the model context', () => {
  const inner = createCharacterNGramModel({ texts: trainingTexts(), order: 10, modelId: 'tiny-ngram' });
  const limited: LanguageModel = {
    specificationVersion: 'v1',
    modelId: 'limited',
    generate: async (prompt, options) => {
      if (prompt.length > 800)
        throw new ContextLengthError(`the prompt is ${prompt.length} tokens, more than the model's 800 positions`, { tokens: prompt.length, positions: 800 });
      return inner.generate(prompt, options);
    },
    logProbability: (prompt, continuation) => inner.logProbability(prompt, continuation),
  };

  it('are skipped and reported, the sweep measured on the rest', async () => {
    const result = await evaluateAttributeAdherence({
      model: limited,
      scorer,
      schema: HELPSTEER,
      prompts: ['Tell me about cats.', 'long '.repeat(200), 'Describe the ocean.'],
      grid: { verbosity: [0, 3] },
      generate: { temperature: 0, maxTokens: 40 },
    });
    expect(result.skippedPrompts).toEqual([1]);
    expect(result.samples.map((sample) => sample.prompt).sort()).toEqual([0, 0, 2, 2]);
    expect(result.attributes[0]!.samples).toBe(4);
  });

  it('fail clearly when no prompt fits', async () => {
    await expect(
      evaluateAttributeAdherence({ model: limited, scorer, schema: HELPSTEER, prompts: ['long '.repeat(200)], grid: { verbosity: [0] } }),
    ).rejects.toThrow(/every one of the 1 prompts is longer than the model's context/);
  });
});

describe('attribute adherence with guidance', () => {
  it('generates every cell with the guided rows (neutral + s·(conditioned − neutral)) and records the guidance', async () => {
    const calls: { prompt: string; mixPrompts: unknown }[] = [];
    const recording: LanguageModel = {
      specificationVersion: 'v1',
      modelId: 'recording',
      async generate(prompt, options) {
        calls.push({ prompt, mixPrompts: options?.mixPrompts });
        return { text: responses[1]!, finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 3 } };
      },
      logProbability: async () => ({ logProbability: 0, tokens: 0 }),
    };
    const guidance = { scale: 2, neutral: { verbosity: 0 } };
    const result = await evaluateAttributeAdherence({
      model: recording,
      scorer,
      schema: HELPSTEER,
      prompts: [prompts[0]!],
      grid: { verbosity: [0, 3] },
      guidance,
    });
    expect(result.guidance).toEqual(guidance);
    const label = (verbosity: number) => conditionPrompt({ prompt: prompts[0]!, schema: HELPSTEER, attributes: { ...HELPSTEER.defaults(), verbosity } });
    expect(calls).toEqual([
      // At verbosity 0 the neutral label is the conditioned one: plain decoding.
      { prompt: label(0), mixPrompts: undefined },
      { prompt: label(3), mixPrompts: [{ prompt: label(0), weight: -1 }] },
    ]);
  });
});
