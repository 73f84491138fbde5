import { describe, expect, it } from 'vitest';
import { createCharacterNGramModel } from './character-ngram-model';

const texts = ['the cat sat on the mat.', 'the dog sat on the log.', 'a cat and a pig<extra_id_1>'];

describe('CharacterNGramModel', () => {
  const model = createCharacterNGramModel({ texts, order: 4 });

  it('gives a proper distribution: next-token probabilities sum to 1', async () => {
    // Sum P(c | "the ") over every vocabulary token, end-of-text excluded, plus P(end) from generation mass.
    const vocabulary = new Set(texts.join('').replace(/<extra_id_1>/g, ''));
    let mass = 0;
    for (const character of [...vocabulary, '<extra_id_1>']) mass += Math.exp((await model.logProbability('the ', character)).logProbability);
    const unknown = Math.exp((await model.logProbability('the ', '\u2603')).logProbability);
    expect(mass + unknown).toBeLessThan(1);
    expect(mass + unknown).toBeGreaterThan(0.95);
  });

  it('scores continuations token by token, consistent with tokenLogProbabilities', async () => {
    const prompt = 'the c';
    const continuation = 'at sat<extra_id_1>';
    const total = await model.logProbability(prompt, continuation);
    expect(total.tokens).toBe(7);
    const perToken = model.tokenLogProbabilities(prompt + continuation).filter((token) => token.offset >= prompt.length);
    expect(perToken.map((token) => token.token)).toEqual(['a', 't', ' ', 's', 'a', 't', '<extra_id_1>']);
    expect(perToken.reduce((sum, token) => sum + token.logProbability, 0)).toBeCloseTo(total.logProbability, 10);
    // Seen text is far more likely than unseen text.
    expect(total.logProbability).toBeGreaterThan((await model.logProbability(prompt, 'qzx qzx<extra_id_1>')).logProbability + 10);
  });

  it('samples reproducibly with a seed and differently with another', async () => {
    const options = { temperature: 1, maxTokens: 40, seed: 7 };
    const first = await model.generate('the ', options);
    expect((await model.generate('the ', options)).text).toBe(first.text);
    const others = await Promise.all([1, 2, 3, 4].map((seed) => model.generate('the ', { ...options, seed })));
    expect(new Set(others.map((result) => result.text)).size).toBeGreaterThan(1);
  });

  it('is greedy at temperature 0 and with top-k 1', async () => {
    const greedy = await model.generate('the d', { temperature: 0, maxTokens: 12 });
    expect(greedy.text).toBe((await model.generate('the d', { temperature: 1, topK: 1, maxTokens: 12, seed: 3 })).text);
    expect(greedy.text.startsWith('og')).toBe(true);
  });

  it('stops before a stop string, at maxTokens, or at the end of text', async () => {
    const stopped = await model.generate('a cat and a p', { temperature: 0, stop: ['<extra_id_1>'], maxTokens: 50 });
    expect(stopped).toMatchObject({ text: 'ig', finishReason: 'stop' });
    const cut = await model.generate('the ', { temperature: 0, maxTokens: 3 });
    expect(cut).toMatchObject({ finishReason: 'length', usage: { promptTokens: 4, completionTokens: 3 } });
    expect(cut.text).toHaveLength(3);
    const ended = await model.generate('the dog sat on the l', { temperature: 0, maxTokens: 50 });
    expect(ended).toMatchObject({ text: 'og.', finishReason: 'stop' });
  });

  it('streams the same text as generate, never emitting the stop string', async () => {
    const options = { temperature: 0.8, seed: 11, maxTokens: 60, stop: ['<extra_id_1>', 'mat'] };
    const pieces: string[] = [];
    for await (const piece of model.stream!('the ', options)) pieces.push(piece);
    const result = await model.generate('the ', options);
    expect(pieces.join('')).toBe(result.text);
    expect(result.text).not.toContain('mat');
  });

  it('rejects bad options', async () => {
    expect(() => createCharacterNGramModel({ texts: [] })).toThrow(/texts/);
    await expect(model.generate('x', { temperature: -1 })).rejects.toThrow(/temperature/);
    await expect(model.generate('x', { topP: 0 })).rejects.toThrow(/topP/);
  });
});
