import { InvalidOptionError, steerlmTemplate } from '@steerlm/core';
import { BYTE_TO_UNICODE, toByteLevel } from './byte-to-unicode';
import { PairHeap } from './pair-heap';
import { preTokenize } from './pre-tokenize';

/** The special tokens a trained tokenizer gets by default: GPT-2's end of text, then SteerLM's three. */
export const DEFAULT_SPECIAL_TOKENS: readonly string[] = Object.freeze(['<|endoftext|>', ...steerlmTemplate.specialTokens]);

/** Options of {@link trainByteLevelBpe}. */
export interface TrainByteLevelBpeOptions {
  /** Target vocabulary size, special tokens and the 256 byte symbols included. */
  vocabSize: number;
  /** Special tokens, given the first ids in this order (default {@link DEFAULT_SPECIAL_TOKENS}). */
  specialTokens?: readonly string[];
  /** Pairs seen fewer times than this are never merged (default 2). */
  minFrequency?: number;
  /**
   * The longest token learned, in bytes (default 64). Longer pre-tokens (a run without whitespace) are
   * cut into pieces of this length before counting, which bounds the work and memory one input can cost.
   */
  maxTokenLength?: number;
  /** Stops the training (rejecting with the signal's reason); checked about every 50 ms of work. */
  signal?: AbortSignal;
}

/** The default longest token a trained vocabulary holds, in bytes. */
export const DEFAULT_MAX_TOKEN_LENGTH = 64;

/** A trained byte-level BPE model. */
export interface TrainedByteLevelBpe {
  /** Token string (byte-level characters) → id; ids are 0…size-1 without holes. */
  vocab: Map<string, number>;
  /** The merges in priority order, as pairs of token strings. */
  merges: [string, string][];
  /** The special tokens and their ids. */
  specialTokens: { content: string; id: number }[];
}

const PAIR_KEY_SHIFT = 2 ** 21;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Returns a byte-level BPE model (GPT-2 style) learned from `texts`: pre-tokens from the GPT-2 pattern,
 * then repeated merging of the most frequent adjacent pair (ties: smaller ids first) until the vocabulary
 * reaches `vocabSize` or no pair occurs `minFrequency` times. Special tokens in the texts are cut out, and
 * pre-tokens longer than `maxTokenLength` bytes are cut into pieces of that length.
 */
export async function trainByteLevelBpe(texts: Iterable<string> | AsyncIterable<string>, options: TrainByteLevelBpeOptions): Promise<TrainedByteLevelBpe> {
  const specialTokens = [...(options.specialTokens ?? DEFAULT_SPECIAL_TOKENS)];
  const minFrequency = options.minFrequency ?? 2;
  if (new Set(specialTokens).size !== specialTokens.length || specialTokens.some((token) => token.length === 0)) {
    throw new InvalidOptionError('special tokens must be distinct non-empty strings', { option: 'specialTokens' });
  }
  const clash = specialTokens.find((token) => BYTE_TO_UNICODE.includes(token));
  if (clash !== undefined) throw new InvalidOptionError(`special token ${JSON.stringify(clash)} is one of the 256 byte symbols`, { option: 'specialTokens' });
  const base = specialTokens.length + 256;
  if (!Number.isSafeInteger(options.vocabSize) || options.vocabSize < base || options.vocabSize >= PAIR_KEY_SHIFT) {
    throw new InvalidOptionError(`vocabSize must be an integer from ${base} (special tokens + 256 bytes) to ${PAIR_KEY_SHIFT - 1}, got ${options.vocabSize}`, {
      option: 'vocabSize',
    });
  }
  if (!Number.isSafeInteger(minFrequency) || minFrequency < 1)
    throw new InvalidOptionError(`minFrequency must be a positive integer, got ${minFrequency}`, { option: 'minFrequency' });
  const maxTokenLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  if (!Number.isSafeInteger(maxTokenLength) || maxTokenLength < 2) {
    throw new InvalidOptionError(`maxTokenLength must be an integer of at least 2, got ${maxTokenLength}`, { option: 'maxTokenLength' });
  }

  // Long trainings yield to the event loop now and then, so a signal (SIGTERM) is seen and honoured.
  let lastYield = performance.now();
  const pause = async (): Promise<void> => {
    if (performance.now() - lastYield < 50) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    lastYield = performance.now();
    options.signal?.throwIfAborted();
  };
  options.signal?.throwIfAborted();

  // 1. Count the byte-level form of every pre-token.
  const splitter = specialTokens.length > 0 ? new RegExp(specialTokens.map(escapeRegExp).join('|'), 'g') : undefined;
  const wordCounts = new Map<string, number>();
  for await (const text of texts) {
    if (typeof text !== 'string') throw new InvalidOptionError(`training texts must be strings, got ${typeof text}`, { option: 'texts' });
    await pause();
    for (const segment of splitter === undefined ? [text] : text.split(splitter)) {
      for (const piece of preTokenize(segment)) {
        const whole = toByteLevel(piece); // one character per byte
        for (let start = 0; start < whole.length; start += maxTokenLength) {
          const word = whole.length <= maxTokenLength ? whole : whole.slice(start, start + maxTokenLength);
          wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
        }
      }
    }
  }

  // 2. The initial vocabulary: special tokens, then the 256 byte symbols.
  const tokens: string[] = [...specialTokens];
  const vocab = new Map<string, number>(specialTokens.map((token, id) => [token, id]));
  for (const character of BYTE_TO_UNICODE) {
    vocab.set(character, tokens.length);
    tokens.push(character);
  }
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [word, count] of wordCounts) {
    if (word.length < 2) continue;
    words.push(Array.from(word, (character) => vocab.get(character)!));
    counts.push(count);
  }

  // 3. Pair statistics and where each pair occurs.
  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPairs = (wordIndex: number, sign: 1 | -1, touched: Set<number> | undefined): void => {
    const symbols = words[wordIndex]!;
    const weight = sign * counts[wordIndex]!;
    for (let position = 0; position + 1 < symbols.length; position++) {
      const key = symbols[position]! * PAIR_KEY_SHIFT + symbols[position + 1]!;
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + weight);
      touched?.add(key);
      if (sign > 0) {
        let where = pairWords.get(key);
        if (where === undefined) pairWords.set(key, (where = new Set()));
        where.add(wordIndex);
      }
    }
  };
  for (let index = 0; index < words.length; index++) addPairs(index, 1, undefined);
  const heap = new PairHeap();
  for (const [key, count] of pairCounts) heap.push({ count, left: Math.floor(key / PAIR_KEY_SHIFT), right: key % PAIR_KEY_SHIFT });

  // 4. Merge the best pair until the vocabulary is full.
  const merges: [string, string][] = [];
  while (tokens.length < options.vocabSize) {
    await pause();
    const best = heap.pop();
    if (best === undefined) break;
    const key = best.left * PAIR_KEY_SHIFT + best.right;
    if (pairCounts.get(key) !== best.count) continue;
    if (best.count < minFrequency) break;
    const merged = tokens[best.left]! + tokens[best.right]!;
    let mergedId = vocab.get(merged);
    if (mergedId === undefined) {
      mergedId = tokens.length;
      vocab.set(merged, mergedId);
      tokens.push(merged);
    }
    merges.push([tokens[best.left]!, tokens[best.right]!]);
    const touched = new Set<number>();
    for (const wordIndex of pairWords.get(key) ?? []) {
      const symbols = words[wordIndex]!;
      let found = false;
      for (let position = 0; position + 1 < symbols.length; position++) {
        if (symbols[position] === best.left && symbols[position + 1] === best.right) {
          found = true;
          break;
        }
      }
      if (!found) continue;
      addPairs(wordIndex, -1, touched);
      const next: number[] = [];
      for (let position = 0; position < symbols.length; position++) {
        if (position + 1 < symbols.length && symbols[position] === best.left && symbols[position + 1] === best.right) {
          next.push(mergedId);
          position++;
        } else {
          next.push(symbols[position]!);
        }
      }
      words[wordIndex] = next;
      addPairs(wordIndex, 1, touched);
    }
    pairCounts.delete(key);
    pairWords.delete(key);
    for (const touchedKey of touched) {
      const count = pairCounts.get(touchedKey) ?? 0;
      if (count <= 0) {
        pairCounts.delete(touchedKey);
        continue;
      }
      heap.push({ count, left: Math.floor(touchedKey / PAIR_KEY_SHIFT), right: touchedKey % PAIR_KEY_SHIFT });
    }
  }
  return { vocab, merges, specialTokens: specialTokens.map((content, id) => ({ content, id })) };
}
