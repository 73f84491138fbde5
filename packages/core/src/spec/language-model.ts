/** Sampling settings of one generation request. */
export interface GenerateOptions {
  /** The largest number of new tokens (default chosen by the model, typically 256). */
  maxTokens?: number;
  /** 0 means greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  /** Makes sampling reproducible. */
  seed?: number;
  /** Generation stops before the first of these strings (SteerLM: `<extra_id_1>`). */
  stop?: readonly string[];
  signal?: AbortSignal;
  /**
   * Logit mixing (attribute guidance and interpolation, see `guidedPrompts`): more prompts decoded in the
   * same batch as `prompt`, one row each. Every step samples one token, which all rows then share, from
   * the next-token logits (1 − Σ wᵢ)·logits(prompt) + Σ wᵢ·logits(promptᵢ), mixed in logit space
   * before repetition penalty, temperature and top-k/top-p. The weights of a mix sum to 1 with `prompt`'s,
   * so mixing logits or log-probabilities gives the same distribution. Absent or empty: plain decoding.
   */
  mixPrompts?: readonly WeightedPrompt[];
}

/** A prompt and its weight in a logit mixture (see `GenerateOptions.mixPrompts`). */
export interface WeightedPrompt {
  readonly prompt: string;
  /** Any finite number; negative for guidance beyond the conditioned prompt (s > 1 gives the neutral prompt 1 − s). */
  readonly weight: number;
}

export type FinishReason = 'stop' | 'length' | 'abort';

export interface GenerateResult {
  /** The continuation, without the stop string that ended it. */
  text: string;
  finishReason: FinishReason;
  usage: { promptTokens: number; completionTokens: number };
}

export interface LogProbabilityResult {
  /** The sum of the log-probabilities (natural log) of the continuation's tokens given the prompt. */
  logProbability: number;
  /** How many tokens the continuation has. */
  tokens: number;
}

/**
 * A text model that continues a raw prompt (already rendered by a template, e.g. `conditionPrompt`).
 * Implemented by @steerlm/sft's decoders, by a transformers.js model, or by a remote endpoint.
 */
export interface LanguageModel {
  readonly specificationVersion: 'v1';
  /** A name for reports and logs. */
  readonly modelId: string;
  /** Returns the continuation of `prompt`. */
  generate(prompt: string, options?: GenerateOptions): Promise<GenerateResult>;
  /** Returns the continuation as it is produced (text pieces), when the model can stream. */
  stream?(prompt: string, options?: GenerateOptions): AsyncIterable<string>;
  /** Returns the log-probability of `continuation` following `prompt`. */
  logProbability(prompt: string, continuation: string): Promise<LogProbabilityResult>;
}
