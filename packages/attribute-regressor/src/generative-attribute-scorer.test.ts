import { describe, expect, it } from 'vitest';
import { defineAttributeSchema, type GenerateOptions, type LanguageModel } from '@steerlm/core';
import { attributePredictionPrompt, GenerativeAttributeScorer, parseGeneratedAttributes } from './generative-attribute-scorer';

const schema = defineAttributeSchema({
  attributes: [
    { name: 'quality', min: 0, max: 4, default: 4 },
    { name: 'toxicity', min: 0, max: 4, default: 0 },
    { name: 'humor', min: 0, max: 4, default: 0 },
  ],
});

function scriptedModel(outputs: string[]): LanguageModel & { prompts: string[]; options: (GenerateOptions | undefined)[] } {
  const prompts: string[] = [];
  const options: (GenerateOptions | undefined)[] = [];
  return {
    specificationVersion: 'v1',
    modelId: 'scripted',
    prompts,
    options,
    async generate(prompt, generateOptions) {
      prompts.push(prompt);
      options.push(generateOptions);
      return { text: outputs.shift() ?? '', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 } };
    },
    async logProbability() {
      return { logProbability: 0, tokens: 0 };
    },
  };
}

describe('GenerativeAttributeScorer (the paper APM over a LanguageModel)', () => {
  it('prompts with the TEXT_TO_VALUE template ending in <extra_id_2> and parses a clean label', async () => {
    const model = scriptedModel(['quality:3,toxicity:1,humor:2']);
    const scorer = new GenerativeAttributeScorer({ model, schema });
    const [score] = await scorer.score([{ context: [{ role: 'user', text: 'Tell a joke' }], response: 'Why did the chicken…' }]);
    expect(model.prompts[0]).toBe(attributePredictionPrompt({ context: [{ role: 'user', text: 'Tell a joke' }], response: 'Why did the chicken…' }));
    expect(model.prompts[0]!.endsWith('<extra_id_1>Assistant\nWhy did the chicken…\n<extra_id_2>')).toBe(true);
    expect(model.options[0]).toMatchObject({ temperature: 0, stop: ['<extra_id_1>', '\n'] });
    expect(score).toEqual({ values: { quality: 3, toxicity: 1, humor: 2 }, rounded: { quality: 3, toxicity: 1, humor: 2 } });
    expect(scorer.unparsed).toBe(0);
  });

  it('is robust to junk: keeps known pairs, clamps, leaves missing attributes out (or fills defaults on request)', async () => {
    const unparsed: string[] = [];
    const model = scriptedModel(['  sure! quality: 9, bogus:2, humor:1.6 toxicity:x', 'no idea']);
    const scorer = new GenerativeAttributeScorer({ model, schema, onUnparsed: (text) => unparsed.push(text) });
    const [junk, nothing] = await scorer.score([
      { context: [], response: 'a' },
      { context: [], response: 'b' },
    ]);
    // Junk never earns labels it did not state (issue 13, finding 7): garbled toxicity and an empty output stay unset.
    expect(junk!.rounded).toEqual({ quality: 4, humor: 2 });
    expect(nothing!.rounded).toEqual({});
    expect(scorer.unparsed).toBe(2);
    expect(unparsed).toHaveLength(2);
    const filling = new GenerativeAttributeScorer({ model: scriptedModel(['humor:3']), schema, missing: 'default' });
    expect((await filling.score([{ context: [], response: 'c' }]))[0]!.rounded).toEqual({ quality: 4, toxicity: 0, humor: 3 });
  });

  it('parses strictly when it can and rejects empty responses', async () => {
    expect(parseGeneratedAttributes('quality:2,humor:0\nrest', schema)).toEqual({ values: { quality: 2, humor: 0 }, clean: true });
    await expect(new GenerativeAttributeScorer({ model: scriptedModel([]), schema }).score([{ context: [], response: '' }])).rejects.toThrow(/empty/);
  });
});
