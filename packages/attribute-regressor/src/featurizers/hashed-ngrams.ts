import { hashStringSeeded, InvalidOptionError, type ScoringInput } from '@steerlm/core';
import type { BlockedFeaturizer, DescribedFeaturizer, LengthFeaturizer } from './featurizer-description';
import { assertScorable, DEFAULT_MAX_RESPONSE_CHARACTERS, keepHead, lastUserText } from './scoring-text';
import { TEXT_STATISTICS_FEATURES, textStatistics } from './text-statistics';

export interface HashedNgramsOptions {
  /** Hash buckets of each block (response words, response characters, prompt words); default 2048. */
  buckets?: number;
  /** Word n-gram sizes, inclusive (default [1, 2]). */
  wordNgrams?: readonly [number, number];
  /** Character n-gram sizes, inclusive (default [3, 5]). */
  characterNgrams?: readonly [number, number];
  /** Whether to add a block of the last user turn's words (default true). */
  includePrompt?: boolean;
  /** The longest response read (default 8000 characters); longer ones are cut (documented truncation). */
  maxResponseCharacters?: number;
}

function checkRange(range: readonly [number, number], option: string): void {
  if (!Array.isArray(range) || range.length !== 2 || !range.every((size) => Number.isSafeInteger(size) && size >= 1) || range[0] > range[1]) {
    throw new InvalidOptionError(`${option} must be [min, max] with 1 <= min <= max, got ${JSON.stringify(range)}`, { option });
  }
}

/** Adds signed, hashed counts of `grams` into `block` and then scales the block to unit length (log counts). */
function addHashed(grams: Iterable<string>, block: Float32Array, seed: number): void {
  for (const gram of grams) {
    const hash = hashStringSeeded(gram, seed);
    block[hash % block.length]! += (hash & 0x80000000) !== 0 ? -1 : 1;
  }
  let norm = 0;
  for (let index = 0; index < block.length; index += 1) {
    const value = block[index]!;
    const scaled = Math.sign(value) * Math.log1p(Math.abs(value));
    block[index] = scaled;
    norm += scaled * scaled;
  }
  if (norm > 0) {
    const inverse = 1 / Math.sqrt(norm);
    for (let index = 0; index < block.length; index += 1) block[index]! *= inverse;
  }
}

function* wordGrams(text: string, [low, high]: readonly [number, number]): Generator<string> {
  const tokens = text.toLowerCase().match(/[\p{L}\p{N}']+|[^\s\p{L}\p{N}]/gu) ?? [];
  for (let size = low; size <= high; size += 1) {
    for (let start = 0; start + size <= tokens.length; start += 1) yield `${size}|${tokens.slice(start, start + size).join(' ')}`;
  }
}

function* characterGrams(text: string, [low, high]: readonly [number, number]): Generator<string> {
  const normalised = ` ${text.toLowerCase().replace(/\s+/g, ' ')} `;
  for (let size = low; size <= high; size += 1) {
    for (let start = 0; start + size <= normalised.length; start += 1) yield normalised.slice(start, start + size);
  }
}

/**
 * Returns the dependency-free baseline featurizer: signed hashed word and character n-grams of the
 * response, hashed words of the last user turn, and the text statistics (lengths and layout).
 */
export function createHashedNgramsFeaturizer(options: HashedNgramsOptions = {}): DescribedFeaturizer & BlockedFeaturizer & LengthFeaturizer {
  const buckets = options.buckets ?? 2048;
  const wordNgrams = options.wordNgrams ?? [1, 2];
  const characterNgrams = options.characterNgrams ?? [3, 5];
  const includePrompt = options.includePrompt ?? true;
  const maxResponseCharacters = options.maxResponseCharacters ?? DEFAULT_MAX_RESPONSE_CHARACTERS;
  if (!Number.isSafeInteger(buckets) || buckets < 8) throw new InvalidOptionError(`buckets must be an integer >= 8, got ${buckets}`, { option: 'buckets' });
  checkRange(wordNgrams, 'wordNgrams');
  checkRange(characterNgrams, 'characterNgrams');
  if (!Number.isSafeInteger(maxResponseCharacters) || maxResponseCharacters < 1) {
    throw new InvalidOptionError(`maxResponseCharacters must be a positive integer, got ${maxResponseCharacters}`, { option: 'maxResponseCharacters' });
  }
  const blocks = includePrompt ? 3 : 2;
  const dimension = blocks * buckets + TEXT_STATISTICS_FEATURES.length;
  return {
    specificationVersion: 'v1',
    id: `hashed-ngrams:v1:buckets=${buckets}:words=${wordNgrams.join('-')}:chars=${characterNgrams.join('-')}:prompt=${includePrompt ? 1 : 0}:max=${maxResponseCharacters}`,
    dimension,
    featureBlocks: [...new Array<number>(blocks).fill(buckets), TEXT_STATISTICS_FEATURES.length],
    lengthFeature: blocks * buckets + TEXT_STATISTICS_FEATURES.indexOf('log_response_characters'),
    description: {
      type: 'hashed-ngrams',
      options: { buckets, wordNgrams: [...wordNgrams], characterNgrams: [...characterNgrams], includePrompt, maxResponseCharacters },
    },
    async featurize(inputs: readonly ScoringInput[]): Promise<Float32Array[]> {
      inputs.forEach(assertScorable);
      return inputs.map((input) => {
        const vector = new Float32Array(dimension);
        const response = keepHead(input.response, maxResponseCharacters);
        const prompt = lastUserText(input);
        addHashed(wordGrams(response, wordNgrams), vector.subarray(0, buckets), 1);
        addHashed(characterGrams(response, characterNgrams), vector.subarray(buckets, 2 * buckets), 2);
        if (includePrompt) addHashed(wordGrams(prompt, [1, 1]), vector.subarray(2 * buckets, 3 * buckets), 3);
        vector.set(textStatistics(response, prompt), blocks * buckets);
        return vector;
      });
    },
  };
}
