import type { LanguageModel, Tokenizer } from '@steerlm/core';
import type { ScoredToken, ScoreTokensOptions } from '@steerlm/sft';
import type { GenerationServices } from './answer-generation';
import { completionBody, newResponseId, openAIFinishReason, openAIUsage } from './openai-shapes';
import type { PreparedGeneration } from './prepare-generation';
import type { CompletionRequest } from './request-schemas';
import { requestFault, ServerRequestError } from './server-request-error';

/** A model that scores every token of a text (LocalLanguageModel does). */
export interface TokenScoringModel extends LanguageModel {
  scoreTokens(text: string, options?: ScoreTokensOptions): Promise<readonly ScoredToken[]>;
}

/** The `logprobs` object of a legacy completions choice, in OpenAI's (and vLLM's) shape. */
export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[] | null;
  text_offset: number[];
}

function canScore(model: LanguageModel): model is TokenScoringModel {
  return typeof (model as Partial<TokenScoringModel>).scoreTokens === 'function';
}

/**
 * Returns whether a `/v1/completions` request needs this route (`echo`, `logprobs` or `max_tokens: 0`);
 * throws a 400 naming the field when the combination cannot be served.
 */
export function needsScoredCompletion(request: CompletionRequest, model: LanguageModel): boolean {
  const echo = request.echo === true;
  const logprobs = request.logprobs != null;
  if (request.max_tokens === 0 && !echo) {
    throw new ServerRequestError('max_tokens 0 generates nothing; it only makes sense with echo: true (to score the prompt)', {
      status: 400,
      param: 'max_tokens',
      hint: 'send max_tokens ≥ 1, or add "echo": true (with "logprobs": 1 to score the prompt)',
    });
  }
  if (!echo && !logprobs) return false;
  if (request.stream === true) {
    throw new ServerRequestError(`${echo ? 'echo' : 'logprobs'} is not served with stream: true on this server`, {
      status: 400,
      param: 'stream',
      hint: 'send "stream": false to get echo and logprobs in one response',
    });
  }
  if (logprobs && !canScore(model)) {
    throw new ServerRequestError(`the model "${model.modelId}" cannot give per-token log-probabilities`, {
      status: 400,
      param: 'logprobs',
      hint: 'leave out "logprobs", or serve a model folder (steerlm serve --model DIR), whose model scores tokens',
    });
  }
  return true;
}

/**
 * Returns the legacy `logprobs` object for `tokens` (those of prompt + completion): all of them with
 * `echo`, else those reaching past the prompt. `text_offset` counts characters from the start of the
 * prompt, as OpenAI's does; each position's `top_logprobs` holds the `top` most likely tokens plus the
 * token itself (so up to top + 1 entries, as OpenAI documents), each keyed by the token decoded alone
 * (`token_id:<id>` when that is no valid text, as vLLM writes token ids).
 */
export function completionLogprobs(tokens: readonly ScoredToken[], promptLength: number, textLength: number, echo: boolean, top: number): CompletionLogprobs {
  const picked = echo ? tokens : tokens.filter((_, index) => (index + 1 < tokens.length ? tokens[index + 1]!.offset : textLength) > promptLength);
  return {
    tokens: picked.map((token) => token.text),
    token_logprobs: picked.map((token) => token.logProbability),
    top_logprobs: picked.map((token) => {
      if (token.logProbability === null) return null;
      const entries: Record<string, number> = {};
      for (const alternative of (token.top ?? []).slice(0, top)) {
        if (!(alternative.text in entries)) entries[alternative.text] = alternative.logProbability;
      }
      if (!(token.piece in entries)) entries[token.piece] = token.logProbability;
      return entries;
    }),
    text_offset: picked.map((token) => token.offset),
  };
}

/** Returns the prompt's token count when the model exposes its tokenizer (for `usage` when nothing is generated). */
function promptTokenCount(model: LanguageModel, prompt: string): number {
  const tokenizer = (model as { tokenizer?: Partial<Tokenizer> }).tokenizer;
  return typeof tokenizer?.encode === 'function' ? tokenizer.encode(prompt).length : 0;
}

/**
 * Returns the Response of a `/v1/completions` request with `echo` and/or `logprobs` (never streamed):
 * generates `max_tokens` (none for 0), then scores prompt + completion in one forward pass. With echo the
 * text and tokens begin with the prompt, whose first token's log-probability is null. Generated tokens
 * are scored as the whole text tokenizes, which is what a later `logProbability` of them sees.
 */
export async function answerScoredCompletion(
  request: CompletionRequest,
  prepared: PreparedGeneration,
  services: GenerationServices,
  clientSignal: AbortSignal | undefined,
): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new ServerRequestError(`the request did not finish within ${services.requestTimeoutMs} ms`, {
          status: 504,
          type: 'timeout',
          hint: 'ask for fewer max_tokens, retry later, or start the server with a larger --request-timeout',
        }),
      ),
    services.requestTimeoutMs,
  );
  const onClientGone = (): void => controller.abort(new ServerRequestError('the client closed the connection', { status: 499 }));
  clientSignal?.addEventListener('abort', onClientGone, { once: true });
  services.inflight.add(controller);
  let release: (() => void) | undefined;
  try {
    release = await services.scheduler.acquire(controller.signal);
    const model = services.model;
    const echo = request.echo === true;
    const generated =
      prepared.options.maxTokens > 0
        ? await model.generate(prepared.prompt, { ...prepared.options, signal: controller.signal })
        : { text: '', finishReason: 'length' as const, usage: { promptTokens: promptTokenCount(model, prepared.prompt), completionTokens: 0 } };
    if (controller.signal.aborted) throw controller.signal.reason;
    const whole = prepared.prompt + generated.text;
    let logprobs: CompletionLogprobs | null = null;
    if (request.logprobs != null && canScore(model)) {
      const top = request.logprobs;
      const scored = await model.scoreTokens(whole, { topLogprobs: top });
      if (controller.signal.aborted) throw controller.signal.reason;
      logprobs = completionLogprobs(scored, prepared.prompt.length, whole.length, echo, top);
    }
    const header = { id: newResponseId('completion'), created: Math.floor(Date.now() / 1000), model: services.modelId };
    const usage = openAIUsage(generated.usage.promptTokens, generated.usage.completionTokens);
    const body = completionBody('completion', header, echo ? whole : generated.text, openAIFinishReason(generated.finishReason), usage, {
      attributes: prepared.attributes,
    });
    const [choice] = body.choices as Record<string, unknown>[];
    return Response.json({ ...body, choices: [{ ...choice, logprobs }] });
  } catch (error) {
    const reason = requestFault(controller.signal.aborted ? controller.signal.reason : error, 'completion');
    if (!ServerRequestError.isInstance(reason)) services.log(`scored completion failed: ${reason instanceof Error ? reason.message : String(reason)}`);
    throw reason;
  } finally {
    clearTimeout(timer);
    clientSignal?.removeEventListener('abort', onClientGone);
    services.inflight.delete(controller);
    release?.();
  }
}
