import { InvalidOptionError, type GenerateOptions, type GenerateResult, type LogProbabilityResult } from '@steerlm/core';
import { tokenizeCharacters } from './character-tokenizer';
import type { ScoringLanguageModel, TokenLogProbability } from './scoring-model';
import { checkStopStrings, seededRandom } from '@steerlm/core';
import { sampleToken, validateSamplingSettings } from './token-sampling';

export interface CharacterNGramModelOptions {
  /** The texts the model learns from (each ends with an end-of-text token). */
  texts: readonly string[];
  /** Tokens of context plus one (default 5). */
  order?: number;
  modelId?: string;
  /** The maxTokens used when a request gives none (default 256). */
  defaultMaxTokens?: number;
}

const UNKNOWN = 0;
const END = 1;

interface ContextCounts {
  total: number;
  counts: Map<number, number>;
}

/** A decoding step's outcome: the pieces of final text and, once finished, the result. */
interface DecodeState {
  tokens: number[];
  generated: string;
  emitted: number;
}

/**
 * A character n-gram model with Witten-Bell interpolated smoothing over a closed vocabulary (the
 * training characters, `<extra_id_N>` control tokens, an unknown and an end-of-text token). Its
 * distributions are proper, so sampling and log-probabilities are honest and exactly consistent.
 */
export class CharacterNGramModel implements ScoringLanguageModel {
  readonly specificationVersion = 'v1' as const;
  readonly modelId: string;
  readonly order: number;
  readonly #vocabulary: string[] = ['<unk>', '<end>'];
  readonly #ids = new Map<string, number>();
  readonly #contexts = new Map<string, ContextCounts>();
  readonly #defaultMaxTokens: number;
  #unseededCalls = 0;

  constructor(options: CharacterNGramModelOptions) {
    const order = options.order ?? 5;
    if (!Number.isInteger(order) || order < 1 || order > 12) {
      throw new InvalidOptionError(`order must be an integer in 1..12, got ${String(order)}`, { option: 'order' });
    }
    if (!Array.isArray(options.texts) || options.texts.length === 0 || options.texts.some((text) => typeof text !== 'string' || text === '')) {
      throw new InvalidOptionError('texts must be a non-empty array of non-empty strings', { option: 'texts' });
    }
    this.order = order;
    this.modelId = options.modelId ?? `character-${order}-gram`;
    this.#defaultMaxTokens = options.defaultMaxTokens ?? 256;
    for (const text of options.texts) {
      const ids = [...tokenizeCharacters(text).map((token) => this.#intern(token.text)), END];
      ids.forEach((id, position) => {
        for (let length = 0; length < order && length <= position; length++) {
          const key = ids.slice(position - length, position).join(',');
          let context = this.#contexts.get(key);
          if (!context) this.#contexts.set(key, (context = { total: 0, counts: new Map() }));
          context.total += 1;
          context.counts.set(id, (context.counts.get(id) ?? 0) + 1);
        }
      });
    }
  }

  /** Returns the number of tokens in the vocabulary (including unknown and end-of-text). */
  get vocabularySize(): number {
    return this.#vocabulary.length;
  }

  #intern(token: string): number {
    let id = this.#ids.get(token);
    if (id === undefined) {
      id = this.#vocabulary.length;
      this.#vocabulary.push(token);
      this.#ids.set(token, id);
    }
    return id;
  }

  #encode(text: string): number[] {
    return tokenizeCharacters(text).map((token) => this.#ids.get(token.text) ?? UNKNOWN);
  }

  /** Returns P(token | history) for every token of the vocabulary (a distribution summing to 1). */
  #distribution(history: readonly number[]): Float64Array {
    const size = this.#vocabulary.length;
    const probabilities = new Float64Array(size).fill(1 / size);
    const longest = Math.min(this.order - 1, history.length);
    for (let length = 0; length <= longest; length++) {
      const context = this.#contexts.get(history.slice(history.length - length).join(','));
      if (!context) break;
      const types = context.counts.size;
      const scale = types / (context.total + types);
      for (let id = 0; id < size; id++) probabilities[id] = probabilities[id]! * scale;
      for (const [id, count] of context.counts) probabilities[id] = probabilities[id]! + count / (context.total + types);
    }
    return probabilities;
  }

  /** Returns every token of `text` with its log-probability given the tokens before it. */
  tokenLogProbabilities(text: string): TokenLogProbability[] {
    const tokens = tokenizeCharacters(text);
    const ids = tokens.map((token) => this.#ids.get(token.text) ?? UNKNOWN);
    return tokens.map((token, index) => ({
      token: token.text,
      offset: token.offset,
      logProbability: Math.log(this.#distribution(ids.slice(Math.max(0, index - this.order + 1), index))[ids[index]!]!),
    }));
  }

  /** Returns the log-probability of `continuation`'s tokens following `prompt`'s tokens. */
  async logProbability(prompt: string, continuation: string): Promise<LogProbabilityResult> {
    const history = this.#encode(prompt);
    const continuationIds = this.#encode(continuation);
    let logProbability = 0;
    for (const id of continuationIds) {
      logProbability += Math.log(this.#distribution(history.slice(Math.max(0, history.length - this.order + 1)))[id]!);
      history.push(id);
    }
    return { logProbability, tokens: continuationIds.length };
  }

  /** Returns the sampled continuation of `prompt`. */
  async generate(prompt: string, options: GenerateOptions = {}): Promise<GenerateResult> {
    const decoder = this.#decode(prompt, options);
    for (;;) {
      const step = await decoder.next();
      if (step.done) return step.value;
    }
  }

  /** Returns the sampled continuation piece by piece (stop strings are never emitted). */
  async *stream(prompt: string, options: GenerateOptions = {}): AsyncIterable<string> {
    const decoder = this.#decode(prompt, options);
    for (;;) {
      const step = await decoder.next();
      if (step.done) return;
      yield step.value;
    }
  }

  async *#decode(prompt: string, options: GenerateOptions): AsyncGenerator<string, GenerateResult> {
    validateSamplingSettings(options);
    const maxTokens = options.maxTokens ?? this.#defaultMaxTokens;
    const temperature = options.temperature ?? 1;
    const stops = options.stop ?? [];
    const random = seededRandom(options.seed ?? Date.now() ^ (this.#unseededCalls++ * 7919));
    const history = this.#encode(prompt);
    const promptTokens = history.length;
    const state: DecodeState = { tokens: [], generated: '', emitted: 0 };
    const finish = (finishReason: GenerateResult['finishReason'], text: string): GenerateResult => ({
      text,
      finishReason,
      usage: { promptTokens, completionTokens: state.tokens.length },
    });
    while (state.tokens.length < maxTokens) {
      if (options.signal?.aborted) return finish('abort', state.generated.slice(0, state.emitted));
      const probabilities = this.#distribution(history.slice(Math.max(0, history.length - this.order + 1)));
      const logits = Array.from(probabilities, (probability, id) => {
        if (id === UNKNOWN) return -Infinity;
        const logit = Math.log(probability);
        const penalty = options.repetitionPenalty ?? 1;
        return penalty !== 1 && state.tokens.includes(id) ? (logit > 0 ? logit / penalty : logit * penalty) : logit;
      });
      const id = sampleToken(
        logits,
        { temperature, ...(options.topK !== undefined ? { topK: options.topK } : {}), ...(options.topP !== undefined ? { topP: options.topP } : {}) },
        random,
      );
      if (id === END) {
        const rest = state.generated.slice(state.emitted);
        if (rest) yield rest;
        return finish('stop', state.generated);
      }
      state.tokens.push(id);
      history.push(id);
      state.generated += this.#vocabulary[id]!;
      const check = checkStopStrings(state.generated, stops);
      if (check.text.length > state.emitted) {
        yield check.text.slice(state.emitted);
        state.emitted = check.text.length;
      }
      if (check.stopped) return finish('stop', check.text);
      if (state.tokens.length % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const check = checkStopStrings(state.generated, stops);
    const text = check.stopped ? check.text : state.generated;
    if (text.length > state.emitted) yield text.slice(state.emitted);
    return finish(check.stopped ? 'stop' : 'length', text);
  }
}

/** Returns a character n-gram LanguageModel trained on `texts`. */
export function createCharacterNGramModel(options: CharacterNGramModelOptions): CharacterNGramModel {
  return new CharacterNGramModel(options);
}
