import type { ServerResponse } from 'node:http';
import type { GenerateOptions, GenerateResult, LanguageModel } from '@steerlm/core';
import { endEventStream, RequestError, sendCompletion, startEventStream } from './http-helpers';
import { choiceOptions, readChoiceCount, readGenerateOptions } from './request-parameters';
import { isScoringLanguageModel } from './scoring-model';

/** What a route needs to answer: the model, its public name and the request's abort signal. */
export interface RouteContext {
  readonly model: LanguageModel;
  readonly modelName: string;
  readonly signal: AbortSignal;
  /** Returns a fresh response id with this prefix. */
  nextId(prefix: string): string;
  /** Returns the request's parsed JSON body (a RequestError 400 when it is not a JSON object). */
  readBody(): Promise<Record<string, unknown>>;
}

interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  text_offset: number[];
}

/** Throws a RequestError 404 when the request names another model than the server's. */
export function checkModelName(body: Record<string, unknown>, modelName: string): void {
  if (body.model !== undefined && body.model !== modelName) {
    throw new RequestError(404, `The model \`${String(body.model)}\` does not exist; this server serves \`${modelName}\``, 'model');
  }
}

function readPrompts(body: Record<string, unknown>): string[] {
  const prompt = body.prompt;
  if (typeof prompt === 'string') return [prompt];
  if (Array.isArray(prompt) && prompt.length > 0 && prompt.every((item) => typeof item === 'string')) return prompt as string[];
  throw new RequestError(400, 'prompt must be a string or a non-empty array of strings', 'prompt');
}

function scoreTokens(context: RouteContext, prompt: string, completion: string, echo: boolean): CompletionLogprobs {
  if (!isScoringLanguageModel(context.model)) {
    throw new RequestError(400, `model \`${context.modelName}\` cannot return per-token log-probabilities (logprobs/echo are not supported)`, 'logprobs');
  }
  const from = echo ? 0 : prompt.length;
  const scored = context.model.tokenLogProbabilities(prompt + completion).filter((token) => token.offset >= from);
  return {
    tokens: scored.map((token) => token.token),
    token_logprobs: scored.map((token) => (token.offset === 0 ? null : token.logProbability)),
    top_logprobs: scored.map((token) => (token.offset === 0 ? null : { [token.token]: token.logProbability })),
    text_offset: scored.map((token) => token.offset - from),
  };
}

async function generateChoice(context: RouteContext, prompt: string, options: GenerateOptions): Promise<GenerateResult> {
  if (options.maxTokens === 0) return { text: '', finishReason: 'length', usage: { promptTokens: 0, completionTokens: 0 } };
  return context.model.generate(prompt, { ...options, signal: context.signal });
}

/** Answers POST /v1/completions (JSON or SSE; `echo` and `logprobs` for scoring models). */
export async function handleCompletions(response: ServerResponse, context: RouteContext): Promise<void> {
  const body = await context.readBody();
  checkModelName(body, context.modelName);
  const prompts = readPrompts(body);
  const choiceCount = readChoiceCount(body);
  const options = readGenerateOptions(body, 16);
  const echo = body.echo === true;
  const logprobs = body.logprobs;
  if (logprobs !== undefined && logprobs !== null && (typeof logprobs !== 'number' || !Number.isInteger(logprobs) || logprobs < 0 || logprobs > 5)) {
    throw new RequestError(400, 'logprobs must be an integer in 0..5 or null', 'logprobs');
  }
  const wantLogprobs = typeof logprobs === 'number';
  const id = context.nextId('cmpl');
  const created = Math.floor(Date.now() / 1000);

  if (body.stream === true) {
    if (wantLogprobs) throw new RequestError(400, 'logprobs are not supported with stream: true on this server', 'logprobs');
    const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    const send = startEventStream(response);
    const chunk = (index: number, text: string, finishReason: string | null) =>
      send({ id, object: 'text_completion', created, model: context.modelName, choices: [{ index, text, logprobs: null, finish_reason: finishReason }] });
    let completionTokens = 0;
    for (const [promptIndex, prompt] of prompts.entries()) {
      for (let choice = 0; choice < choiceCount; choice++) {
        const index = promptIndex * choiceCount + choice;
        const seeded = { ...choiceOptions(options, choice), signal: context.signal };
        if (echo) chunk(index, prompt, null);
        if (options.maxTokens === 0) {
          chunk(index, '', 'length');
        } else if (context.model.stream) {
          let pieces = 0;
          for await (const piece of context.model.stream(prompt, seeded)) {
            pieces += 1;
            chunk(index, piece, null);
          }
          completionTokens += pieces;
          chunk(index, '', pieces >= (options.maxTokens ?? Infinity) ? 'length' : 'stop');
        } else {
          const result = await context.model.generate(prompt, seeded);
          completionTokens += result.usage.completionTokens;
          if (result.text) chunk(index, result.text, null);
          chunk(index, '', result.finishReason === 'length' ? 'length' : 'stop');
        }
      }
    }
    if (includeUsage) {
      send({
        id,
        object: 'text_completion',
        created,
        model: context.modelName,
        choices: [],
        usage: { prompt_tokens: 0, completion_tokens: completionTokens, total_tokens: completionTokens },
      });
    }
    endEventStream(send, response);
    return;
  }

  const choices: unknown[] = [];
  let promptTokens = 0;
  let completionTokens = 0;
  for (const [promptIndex, prompt] of prompts.entries()) {
    for (let choice = 0; choice < choiceCount; choice++) {
      const result = await generateChoice(context, prompt, choiceOptions(options, choice));
      if (choice === 0) promptTokens += result.usage.promptTokens;
      completionTokens += result.usage.completionTokens;
      choices.push({
        index: promptIndex * choiceCount + choice,
        text: echo ? prompt + result.text : result.text,
        logprobs: wantLogprobs ? scoreTokens(context, prompt, result.text, echo) : null,
        finish_reason: result.finishReason === 'length' ? 'length' : 'stop',
      });
    }
  }
  sendCompletion(response, { id, object: 'text_completion', created, model: context.modelName }, choices, promptTokens, completionTokens);
}
