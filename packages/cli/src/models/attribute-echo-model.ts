import { setTimeout as sleep } from 'node:timers/promises';
import type { GenerateOptions, GenerateResult, LanguageModel, LogProbabilityResult } from '@steerlm/core';

const numberWords = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** The label line SteerLM prompts end with (`<extra_id_2>humor:4,toxicity:0`). */
const labelPattern = /<extra_id_2>([a-z_:0-9,]*)\n?$/;

export interface AttributeEchoModelOptions {
  /** Milliseconds to wait before each streamed word, to mimic a model's decoding speed (default 0). */
  readonly wordDelayMs?: number;
  readonly modelId?: string;
}

function spell(value: string): string {
  return numberWords[Number(value)] ?? value;
}

/**
 * A deterministic LanguageModel that answers with the attribute values its prompt requests, in words
 * ("humor four, toxicity zero."): it tries a steering server, a client or the playground without weights.
 */
export class AttributeEchoModel implements LanguageModel {
  readonly specificationVersion = 'v1' as const;
  readonly modelId: string;
  readonly #wordDelayMs: number;

  constructor(options: AttributeEchoModelOptions = {}) {
    this.modelId = options.modelId ?? 'attribute-echo';
    this.#wordDelayMs = options.wordDelayMs ?? 0;
  }

  /** Returns the full answer for `prompt`: the requested attributes spelled out, or a note that none were. */
  answer(prompt: string): string {
    const label = labelPattern.exec(prompt)?.[1];
    if (label === undefined || label === '') return 'No attributes were requested.';
    const parts = label.split(',').map((item) => {
      const [name = '', value = ''] = item.split(':');
      return `${name} ${spell(value)}`;
    });
    return `Steered to ${parts.join(', ')}.`;
  }

  /** Returns the answer cut at `maxTokens` words (one word counts as one token). */
  async generate(prompt: string, options: GenerateOptions = {}): Promise<GenerateResult> {
    const words: string[] = [];
    for await (const word of this.stream(prompt, options)) words.push(word);
    const all = this.#words(prompt);
    const finishReason = options.signal?.aborted ? 'abort' : words.length < all.length ? 'length' : 'stop';
    return { text: words.join(''), finishReason, usage: { promptTokens: this.#countWords(prompt), completionTokens: words.length } };
  }

  /** Yields the answer word by word (each word with its trailing space), waiting `wordDelayMs` before each. */
  async *stream(prompt: string, options: GenerateOptions = {}): AsyncIterable<string> {
    const words = this.#words(prompt).slice(0, options.maxTokens ?? Number.POSITIVE_INFINITY);
    for (const word of words) {
      if (options.signal?.aborted) return;
      if (this.#wordDelayMs > 0) {
        try {
          await sleep(this.#wordDelayMs, undefined, options.signal ? { signal: options.signal } : {});
        } catch {
          return;
        }
      }
      yield word;
    }
  }

  /** Returns 0 when `continuation` is exactly the answer, else -Infinity (all probability on one answer). */
  async logProbability(prompt: string, continuation: string): Promise<LogProbabilityResult> {
    return { logProbability: continuation === this.answer(prompt) ? 0 : Number.NEGATIVE_INFINITY, tokens: this.#countWords(continuation) };
  }

  #words(prompt: string): string[] {
    return this.answer(prompt).match(/\S+\s*/g) ?? [];
  }

  #countWords(text: string): number {
    return (text.match(/\S+/g) ?? []).length;
  }
}
