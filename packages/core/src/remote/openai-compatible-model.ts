import { RemoteError } from '../errors';
import { steerlmTemplate } from '../prompt-template';
import type { GenerateOptions, GenerateResult, LanguageModel, LogProbabilityResult } from '../spec';
import { cutAtStop } from '../text';
import { createRemoteEndpoint, type RemoteEndpoint, type RemoteEndpointOptions } from './remote-endpoint';

export interface OpenAICompatibleModelOptions extends RemoteEndpointOptions {
  /** Stop strings added to every request (default: the SteerLM template's, `<extra_id_1>`). */
  stop?: readonly string[];
  /** max_tokens when a request gives none (default 256). */
  defaultMaxTokens?: number;
  /** The name reported as `modelId` (default: `model`). */
  modelId?: string;
}

/** A LanguageModel served over an OpenAI-compatible `/v1/completions` endpoint. */
export interface OpenAICompatibleModel extends LanguageModel {
  readonly baseURL: string;
  stream(prompt: string, options?: GenerateOptions): AsyncIterable<string>;
}

interface CompletionChoice {
  text?: unknown;
  finish_reason?: unknown;
  logprobs?: { tokens?: unknown; token_logprobs?: unknown; text_offset?: unknown } | null;
}

const SCORING_HINT =
  "logProbability needs a server that scores the prompt with `echo: true, logprobs: 1, max_tokens: 0` on /v1/completions (vLLM does; OpenAI's hosted API does not)";

function firstChoice(answer: unknown, url: string): CompletionChoice {
  const choice = (answer as { choices?: unknown[] } | null)?.choices?.[0];
  if (typeof choice !== 'object' || choice === null) {
    throw new RemoteError(`${url} answered without choices[0]`, { url, hint: 'is baseURL an OpenAI-compatible completions server?' });
  }
  return choice as CompletionChoice;
}

/**
 * Returns the sum of the log-probabilities of the tokens that reach past `promptLength` in an
 * echoed completion (a token straddling the boundary counts: it carries continuation text).
 */
export function sumContinuationLogprobs(logprobs: CompletionChoice['logprobs'], promptLength: number, textLength: number, url: string): LogProbabilityResult {
  const tokens = logprobs?.tokens;
  const values = logprobs?.token_logprobs;
  const offsets = logprobs?.text_offset;
  if (!Array.isArray(tokens) || !Array.isArray(values) || !Array.isArray(offsets) || values.length !== offsets.length || tokens.length !== values.length) {
    throw new RemoteError(`${url} answered without per-token logprobs (tokens, token_logprobs, text_offset)`, { url, hint: SCORING_HINT });
  }
  let logProbability = 0;
  let count = 0;
  for (let index = 0; index < values.length; index++) {
    const end = index + 1 < offsets.length ? (offsets[index + 1] as number) : textLength;
    if (end <= promptLength) continue;
    const value = values[index];
    if (typeof value !== 'number') {
      throw new RemoteError(`${url} gave no log-probability for continuation token ${index} (${JSON.stringify(tokens[index])})`, { url, hint: SCORING_HINT });
    }
    logProbability += value;
    count += 1;
  }
  if (count === 0) throw new RemoteError(`${url} echoed no tokens of the continuation`, { url, hint: SCORING_HINT });
  return { logProbability, tokens: count };
}

/**
 * Returns a LanguageModel over an OpenAI-compatible server's `/v1/completions`: raw prompts (e.g.
 * from `conditionPrompt`; `GenerateOptions.mixPrompts` travel as `steerlm.mix_prompts`, which a
 * `steerlm serve` server understands), SteerLM's stop string, SSE streaming, and `logProbability` by echoing
 * prompt + continuation with `logprobs` at `max_tokens: 0`. Requests share bounded concurrency,
 * per-request timeouts and retries with backoff (see RemoteEndpointOptions).
 */
export function createOpenAICompatibleModel(options: OpenAICompatibleModelOptions): OpenAICompatibleModel {
  const endpoint: RemoteEndpoint = createRemoteEndpoint(options);
  const defaultStops = options.stop ?? steerlmTemplate.stopStrings;
  const defaultMaxTokens = options.defaultMaxTokens ?? 256;
  const url = `${endpoint.baseURL}/completions`;

  const requestBody = (prompt: string, generate: GenerateOptions, stream: boolean): Record<string, unknown> => {
    const stop = [...new Set([...defaultStops, ...(generate.stop ?? [])])];
    return {
      model: endpoint.model,
      prompt,
      max_tokens: generate.maxTokens ?? defaultMaxTokens,
      ...(generate.temperature !== undefined ? { temperature: generate.temperature } : {}),
      ...(generate.topP !== undefined ? { top_p: generate.topP } : {}),
      ...(generate.topK !== undefined && generate.topK > 0 ? { top_k: generate.topK } : {}),
      ...(generate.repetitionPenalty !== undefined ? { repetition_penalty: generate.repetitionPenalty } : {}),
      ...(generate.seed !== undefined ? { seed: generate.seed } : {}),
      ...(stop.length > 0 ? { stop } : {}),
      // Logit mixing (attribute guidance) is a steerlm server extension: sent only when asked for.
      ...(generate.mixPrompts !== undefined && generate.mixPrompts.length > 0
        ? { steerlm: { mix_prompts: generate.mixPrompts.map(({ prompt: text, weight }) => ({ prompt: text, weight })) } }
        : {}),
      stream,
    };
  };

  return {
    specificationVersion: 'v1',
    modelId: options.modelId ?? options.model,
    baseURL: endpoint.baseURL,

    async generate(prompt: string, generate: GenerateOptions = {}): Promise<GenerateResult> {
      const answer = await endpoint.postJson('/completions', requestBody(prompt, generate, false), generate.signal);
      const choice = firstChoice(answer, url);
      if (typeof choice.text !== 'string') throw new RemoteError(`${url} answered without choices[0].text`, { url });
      // Servers normally cut at the stop strings already; some keep them.
      const cut = cutAtStop(choice.text, [...defaultStops, ...(generate.stop ?? [])]);
      const usage = (answer as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } }).usage;
      return {
        text: cut.text,
        finishReason: cut.stopped || choice.finish_reason !== 'length' ? 'stop' : 'length',
        usage: {
          promptTokens: typeof usage?.prompt_tokens === 'number' ? usage.prompt_tokens : 0,
          completionTokens: typeof usage?.completion_tokens === 'number' ? usage.completion_tokens : 0,
        },
      };
    },

    async *stream(prompt: string, generate: GenerateOptions = {}): AsyncIterable<string> {
      for await (const event of endpoint.postStream('/completions', requestBody(prompt, generate, true), generate.signal)) {
        const choice = (event as { choices?: CompletionChoice[] }).choices?.[0];
        if (choice && typeof choice.text === 'string' && choice.text !== '') yield choice.text;
      }
    },

    async logProbability(prompt: string, continuation: string): Promise<LogProbabilityResult> {
      if (continuation === '') return { logProbability: 0, tokens: 0 };
      const text = prompt + continuation;
      let answer: unknown;
      try {
        answer = await endpoint.postJson('/completions', { model: endpoint.model, prompt: text, max_tokens: 0, echo: true, logprobs: 1, temperature: 0 });
      } catch (error) {
        if (RemoteError.isInstance(error) && error.status !== undefined && error.status >= 400 && error.status < 500 && error.status !== 429) {
          throw new RemoteError(`the server cannot score text: ${error.message}`, { url, status: error.status, hint: SCORING_HINT, cause: error });
        }
        throw error;
      }
      const choice = firstChoice(answer, url);
      if (typeof choice.text === 'string' && choice.text !== text && !choice.text.startsWith(text)) {
        throw new RemoteError(`${url} did not echo the prompt (echo: true was ignored)`, { url, hint: SCORING_HINT });
      }
      return sumContinuationLogprobs(choice.logprobs, prompt.length, text.length, url);
    },
  };
}
