import * as tf from '@tensorflow/tfjs';
import {
  ContextLengthError,
  conditionPrompt,
  cutAtStop,
  steerlmTemplate,
  type ConditionPromptOptions,
  type GenerateOptions,
  type GenerateResult,
  type LanguageModel,
  type LogProbabilityResult,
  type Tokenizer,
} from '@steerlm/core';
import { readScalar } from '../backend/read-tensor';
import type { DecoderModel } from './decoder-model';
import { TokenBoundaries } from '../trainer/token-boundaries';
import { generateTokens } from './generate-tokens';
import { scoreTokens, type ScoredToken, type ScoreTokensOptions } from './score-tokens';

const DEFAULT_MAX_TOKENS = 256;

/**
 * Returns whether the newest token completed a stop string: only the last tokens can hold one (earlier
 * steps checked the rest), and each token decodes to at least one character, so a tail of twice the
 * longest stop's length in tokens is enough — O(1) a token instead of decoding the whole output.
 */
function endsInStop(tokenizer: Tokenizer, produced: readonly number[], stops: readonly string[]): boolean {
  const longest = Math.max(1, ...stops.map((stop) => stop.length));
  return cutAtStop(tokenizer.decode(produced.slice(-2 * longest)), stops).stopped;
}

/** Throws a ContextLengthError when a prompt of `length` tokens leaves no position to generate from. */
function checkPromptFits(length: number, positions: number): void {
  if (length > positions) {
    throw new ContextLengthError(`the prompt is ${length} tokens, more than the model's ${positions} positions`, {
      tokens: length,
      positions,
      hint: 'shorten the prompt or the conversation',
    });
  }
}

/** A core `LanguageModel` over a local decoder and tokenizer (KV-cache decoding, batched). */
export class LocalLanguageModel implements LanguageModel {
  readonly specificationVersion = 'v1' as const;
  readonly modelId: string;
  readonly model: DecoderModel;
  readonly tokenizer: Tokenizer;

  constructor(model: DecoderModel, tokenizer: Tokenizer, options: { modelId?: string } = {}) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.modelId = options.modelId ?? `local-${model.config.family}`;
  }

  /** Returns one continuation per prompt, decoded together in one batch. */
  async generateBatch(prompts: readonly string[], options: GenerateOptions = {}): Promise<GenerateResult[]> {
    const stops = options.stop ?? steerlmTemplate.stopStrings;
    const encoded = prompts.map((prompt) => this.tokenizer.encode(prompt));
    for (const ids of encoded) checkPromptFits(ids.length, this.model.config.maxPositionEmbeddings);
    const tokens: number[][] = prompts.map(() => []);
    const stopped = prompts.map(() => false);
    const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
    for await (const step of generateTokens(this.model, encoded, {
      ...options,
      maxTokens,
      ...(this.tokenizer.eosTokenId !== undefined ? { stopTokenIds: [this.tokenizer.eosTokenId] } : {}),
      shouldStop: (row, produced) => {
        stopped[row] = endsInStop(this.tokenizer, produced, stops);
        return stopped[row]!;
      },
    })) {
      step.tokens.forEach((token, row) => {
        if (token !== undefined) tokens[row]!.push(token);
      });
    }
    return tokens.map((ids, row) => {
      const eos = this.tokenizer.eosTokenId !== undefined && ids.at(-1) === this.tokenizer.eosTokenId;
      const text = cutAtStop(this.tokenizer.decode(eos ? ids.slice(0, -1) : ids), stops).text;
      const finishReason = options.signal?.aborted ? 'abort' : stopped[row] || eos ? 'stop' : 'length';
      return { text, finishReason, usage: { promptTokens: encoded[row]!.length, completionTokens: ids.length } };
    });
  }

  async generate(prompt: string, options: GenerateOptions = {}): Promise<GenerateResult> {
    return (await this.generateBatch([prompt], options))[0]!;
  }

  /** Yields the continuation's text piece by piece, holding back text that may begin a stop string. */
  async *stream(prompt: string, options: GenerateOptions = {}): AsyncIterable<string> {
    const stops = options.stop ?? steerlmTemplate.stopStrings;
    const ids: number[] = [];
    let emitted = 0;
    const longestStop = Math.max(0, ...stops.map((stop) => stop.length));
    const promptIds = this.tokenizer.encode(prompt);
    checkPromptFits(promptIds.length, this.model.config.maxPositionEmbeddings);
    for await (const step of generateTokens(this.model, [promptIds], {
      ...options,
      maxTokens: options.maxTokens ?? DEFAULT_MAX_TOKENS,
      ...(this.tokenizer.eosTokenId !== undefined ? { stopTokenIds: [this.tokenizer.eosTokenId] } : {}),
    })) {
      const token = step.tokens[0];
      if (token === undefined || token === this.tokenizer.eosTokenId) break;
      ids.push(token);
      const { text, stopped } = cutAtStop(this.tokenizer.decode(ids), stops);
      // Hold back a tail that could still grow into a stop string (and an incomplete UTF-8 sequence).
      const safe = stopped ? text.length : Math.max(emitted, text.length - longestStop);
      const clean = text.slice(0, safe).replace(/\uFFFD+$/, '');
      if (clean.length > emitted) {
        yield clean.slice(emitted);
        emitted = clean.length;
      }
      if (stopped) return;
    }
    const final = cutAtStop(this.tokenizer.decode(ids), stops).text;
    if (final.length > emitted) yield final.slice(emitted);
  }

  async logProbability(prompt: string, continuation: string): Promise<LogProbabilityResult> {
    // The whole text is tokenized at once, as in training and generation (a SentencePiece tokenizer
    // gives `h|ell|o` inside the text, not the `▁hello` of the continuation encoded alone).
    const boundaries = new TokenBoundaries(this.tokenizer, prompt + continuation);
    const ids = boundaries.ids;
    const promptIds = ids.slice(0, Math.max(1, boundaries.at(prompt.length)));
    const continuationIds = ids.slice(promptIds.length);
    if (continuationIds.length === 0) return { logProbability: 0, tokens: 0 };
    const positions = this.model.config.maxPositionEmbeddings;
    if (ids.length - 1 > positions) {
      throw new ContextLengthError(`the prompt and continuation need ${ids.length - 1} positions, more than the model's ${positions}`, {
        tokens: ids.length - 1,
        positions,
        hint: 'shorten the prompt or the continuation',
      });
    }
    const picked = tf.tidy(() => {
      const input = tf.tensor2d([ids.slice(0, -1)], [1, ids.length - 1], 'int32');
      const logSoftmax = tf.logSoftmax(this.model.logits({ ids: input }));
      const rows = continuationIds.map((_, index) => promptIds.length - 1 + index);
      return tf.sum(tf.mul(tf.gather(logSoftmax, rows), tf.oneHot(tf.tensor1d(continuationIds, 'int32'), logSoftmax.shape[1])));
    });
    let total: number;
    try {
      total = await readScalar(picked, 'logProbability');
    } finally {
      picked.dispose();
    }
    return { logProbability: total, tokens: continuationIds.length };
  }

  /**
   * Returns every token of `text` with its log-probability given the tokens before it (null for the
   * first) and, with `topLogprobs`, the most likely tokens at each position: one forward pass. The
   * log-probabilities of the tokens reaching past a prompt sum to `logProbability(prompt, rest)`.
   */
  async scoreTokens(text: string, options: ScoreTokensOptions = {}): Promise<ScoredToken[]> {
    return scoreTokens(this.model, this.tokenizer, text, options);
  }

  /**
   * Returns a steered response: the prompt goes through `conditionPrompt` with the attributes, and the
   * newline that ends a turn in the template (before the stop string) is removed from the text.
   */
  async steer(request: ConditionPromptOptions, options: GenerateOptions = {}): Promise<GenerateResult> {
    const template = request.template ?? steerlmTemplate;
    const result = await this.generate(conditionPrompt(request), { stop: template.stopStrings, ...options });
    return result.finishReason === 'stop' ? { ...result, text: result.text.replace(/\n$/, '') } : result;
  }
}
