import type { GenerateResult, LanguageModel } from '@steerlm/core';
import { chunkBody, completionBody, newResponseId, openAIFinishReason, openAIUsage, textChunkJson, usageChunkBody, type EndpointKind } from './openai-shapes';
import type { PreparedGeneration } from './prepare-generation';
import type { RequestScheduler } from './request-scheduler';
import { describeRequestError, requestFault, ServerRequestError } from './server-request-error';

/** What the generation routes share: the model, the scheduler and the record of requests in flight. */
export interface GenerationServices {
  readonly model: LanguageModel;
  readonly modelId: string;
  readonly scheduler: RequestScheduler;
  /** Milliseconds a request may take from arrival (queue wait included) to its last token. */
  readonly requestTimeoutMs: number;
  /** Abort controllers of the requests in flight (a forced shutdown aborts them). */
  readonly inflight: Set<AbortController>;
  /** Receives one line per failed request. */
  readonly log: (line: string) => void;
}

const encoder = new TextEncoder();

function sseData(payload: unknown): Uint8Array {
  return encoder.encode(`data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`);
}

function timeoutError(milliseconds: number): ServerRequestError {
  return new ServerRequestError(`the request did not finish within ${milliseconds} ms`, {
    status: 504,
    type: 'timeout',
    hint: 'ask for fewer max_tokens, retry later, or start the server with a larger --request-timeout',
  });
}

/**
 * Returns the Response of one generation request (JSON, or an SSE stream of OpenAI chunks ending in
 * `[DONE]`): waits for a scheduler slot (429 when the queue is full), enforces the request timeout and
 * stops generating when the client goes away.
 */
export async function answerGeneration(
  kind: EndpointKind,
  prepared: PreparedGeneration,
  services: GenerationServices,
  clientSignal: AbortSignal | undefined,
): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(timeoutError(services.requestTimeoutMs)), services.requestTimeoutMs);
  const onClientGone = (): void => controller.abort(new ServerRequestError('the client closed the connection', { status: 499 }));
  clientSignal?.addEventListener('abort', onClientGone, { once: true });
  services.inflight.add(controller);
  let release: (() => void) | undefined;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    clientSignal?.removeEventListener('abort', onClientGone);
    services.inflight.delete(controller);
    release?.();
  };
  const failure = (error: unknown): unknown => (controller.signal.aborted ? controller.signal.reason : error);

  try {
    release = await services.scheduler.acquire(controller.signal);
  } catch (error) {
    finish();
    throw failure(error);
  }

  const header = { id: newResponseId(kind), created: Math.floor(Date.now() / 1000), model: services.modelId };
  const options = { ...prepared.options, signal: controller.signal };
  const steerlm = { attributes: prepared.attributes, ...(prepared.guidance ? { guidance: prepared.guidance } : {}) };

  if (!prepared.stream) {
    try {
      const result = await services.model.generate(prepared.prompt, options);
      if (controller.signal.aborted) throw controller.signal.reason;
      const usage = openAIUsage(result.usage.promptTokens, result.usage.completionTokens);
      return Response.json(completionBody(kind, header, result.text, openAIFinishReason(result.finishReason), usage, steerlm));
    } catch (error) {
      const reason = requestFault(failure(error), kind);
      if (!ServerRequestError.isInstance(reason)) services.log(`generation failed: ${reason instanceof Error ? reason.message : String(reason)}`);
      throw reason;
    } finally {
      finish();
    }
  }

  const model = services.model;
  const pieces: AsyncIterable<string> = model.stream
    ? model.stream(prepared.prompt, options)
    : (async function* whole(): AsyncIterable<string> {
        yield (await model.generate(prepared.prompt, options)).text;
      })();
  const iterator = pieces[Symbol.asyncIterator]();
  // The first piece is awaited before answering, so a request the model refuses at once (a prompt beyond
  // its context) gets its 4xx status rather than a 200 stream that carries only an error.
  let first: IteratorResult<string>;
  try {
    first = await iterator.next();
    if (controller.signal.aborted) throw controller.signal.reason;
  } catch (error) {
    finish();
    const reason = requestFault(failure(error), kind);
    if (!ServerRequestError.isInstance(reason)) services.log(`streamed generation failed: ${reason instanceof Error ? reason.message : String(reason)}`);
    throw reason;
  }
  let pending: IteratorResult<string> | undefined = first;
  let count = 0;
  const textChunk = textChunkJson(kind, header);
  const body = new ReadableStream<Uint8Array>({
    start(stream) {
      stream.enqueue(sseData(chunkBody(kind, header, { role: true, ...(kind === 'chat' ? { text: '' } : {}) })));
    },
    async pull(stream) {
      try {
        const next = pending ?? (await iterator.next());
        pending = undefined;
        if (controller.signal.aborted) throw controller.signal.reason;
        if (!next.done) {
          count += 1;
          stream.enqueue(sseData(textChunk(next.value)));
          return;
        }
        // A model whose stream returns its result (LocalLanguageModel) gives the real finish reason and
        // token counts; otherwise pieces stand in for tokens.
        const result = streamResult(next.value);
        const finishReason = result ? openAIFinishReason(result.finishReason) : count >= prepared.options.maxTokens ? 'length' : 'stop';
        stream.enqueue(sseData(chunkBody(kind, header, { finishReason })));
        const usage = result ? openAIUsage(result.usage.promptTokens, result.usage.completionTokens) : openAIUsage(0, count);
        if (prepared.includeUsage) stream.enqueue(sseData(usageChunkBody(kind, header, usage)));
        stream.enqueue(sseData('[DONE]'));
        stream.close();
        finish();
      } catch (error) {
        const reason = requestFault(failure(error), kind);
        if (!ServerRequestError.isInstance(reason)) services.log(`streamed generation failed: ${reason instanceof Error ? reason.message : String(reason)}`);
        stream.enqueue(sseData(describeRequestError(reason).body));
        stream.close();
        finish();
      }
    },
    async cancel() {
      controller.abort(new ServerRequestError('the client closed the connection', { status: 499 }));
      finish();
      await iterator.return?.();
    },
  });
  return new Response(body, {
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' },
  });
}

/** Returns the finish reason and usage a model's stream returned as its `done` value, if it returned them. */
function streamResult(value: unknown): Pick<GenerateResult, 'finishReason' | 'usage'> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { finishReason, usage } = value as Partial<GenerateResult>;
  if (typeof finishReason !== 'string' || typeof usage?.completionTokens !== 'number' || typeof usage.promptTokens !== 'number') return undefined;
  return { finishReason, usage };
}
