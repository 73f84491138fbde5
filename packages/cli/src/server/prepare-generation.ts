import {
  guidedPrompts,
  interpolateAttributes,
  InvalidAttributeError,
  type AttributeGuidance,
  type AttributeSchema,
  type AttributeValues,
  type ConversationTurn,
  type GenerateOptions,
  type GuidedPromptOptions,
  type PromptTemplate,
} from '@steerlm/core';
import type { ChatCompletionRequest, ChatMessageInput, CompletionRequest, RequestLimits } from './request-schemas';
import { ServerRequestError } from './server-request-error';

/** What a steering server needs to know to answer: the rendered prompt and the sampling settings. */
export interface PreparedGeneration {
  /** The exact text the model continues. */
  readonly prompt: string;
  /** Sampling settings (without the abort signal, which the route adds). */
  readonly options: Omit<GenerateOptions, 'signal'> & { maxTokens: number };
  /** The attribute values applied (the schema's defaults merged under the requested ones); empty for raw prompts. */
  readonly attributes: AttributeValues;
  /** The attribute guidance applied, when the request asked for one. */
  readonly guidance?: AttributeGuidance;
  readonly stream: boolean;
  readonly includeUsage: boolean;
}

/** The model's context that prepares requests: its attribute schema, chat template and limits. */
export interface SteeringContext {
  readonly schema: AttributeSchema;
  readonly template: PromptTemplate;
  readonly limits: RequestLimits;
}

function contentText(content: ChatMessageInput['content']): string {
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}

function checkPromptSize(characters: number, limits: RequestLimits, param: string): void {
  if (characters > limits.maxPromptCharacters) {
    throw new ServerRequestError(`the prompt is ${characters} characters, over this server's limit of ${limits.maxPromptCharacters}`, {
      status: 400,
      param,
      hint: 'shorten the conversation, or start the server with a larger --max-prompt-characters',
    });
  }
}

/**
 * Returns the requested attribute values merged over the schema's defaults, validated (names, ranges;
 * fractional values interpolate, at most MAX_INTERPOLATED_ATTRIBUTES of them).
 */
export function resolveAttributes(requested: Readonly<Record<string, number>> | undefined, schema: AttributeSchema): AttributeValues {
  const merged = { ...schema.defaults(), ...(requested ?? {}) };
  interpolateAttributes(merged, schema);
  return Object.freeze(merged);
}

type SteerlmField = NonNullable<ChatCompletionRequest['steerlm']>;

/** Returns the request's guidance (a bare number is the scale), its neutral label checked against the schema. */
function resolveGuidance(steerlm: SteerlmField | undefined, attributes: AttributeValues, schema: AttributeSchema): AttributeGuidance | undefined {
  const requested = steerlm?.guidance;
  if (requested === undefined) return undefined;
  if (typeof requested === 'number') return { scale: requested };
  if (requested.neutral === undefined) return { scale: requested.scale };
  try {
    interpolateAttributes({ ...attributes, ...requested.neutral }, schema);
  } catch (error) {
    if (!InvalidAttributeError.isInstance(error)) throw error;
    const known = error.attribute !== undefined && Object.prototype.hasOwnProperty.call(requested.neutral, error.attribute);
    throw new ServerRequestError(`steerlm.guidance.neutral: ${error.message}`, {
      status: 400,
      param: known ? `steerlm.guidance.neutral.${error.attribute}` : 'steerlm.guidance.neutral',
      ...(error.hint !== undefined ? { hint: error.hint } : {}),
    });
  }
  return { scale: requested.scale, neutral: Object.freeze({ ...requested.neutral }) };
}

/** Returns the prompt and the logit-mixing rows of a steered request (`prompt` alone when unguided). */
function steeredPrompt(request: GuidedPromptOptions): { prompt: string; mix: Pick<GenerateOptions, 'mixPrompts'> } {
  const guided = guidedPrompts(request);
  return { prompt: guided.prompt, mix: guided.mixPrompts.length > 0 ? { mixPrompts: guided.mixPrompts } : {} };
}

function refuseMixPrompts(steerlm: SteerlmField | undefined, why: string): void {
  if (steerlm?.mix_prompts !== undefined) throw new ServerRequestError(`steerlm.mix_prompts ${why}`, { status: 400, param: 'steerlm.mix_prompts' });
}

function samplingOptions(request: ChatCompletionRequest | CompletionRequest, maxTokens: number, context: SteeringContext): PreparedGeneration['options'] {
  const requestStops = request.stop == null ? [] : typeof request.stop === 'string' ? [request.stop] : request.stop;
  return {
    maxTokens,
    stop: [...context.template.stopStrings, ...requestStops],
    ...(request.temperature != null ? { temperature: request.temperature } : {}),
    ...(request.top_p != null ? { topP: request.top_p } : {}),
    ...(request.top_k != null && request.top_k > 0 ? { topK: request.top_k } : {}),
    ...(request.repetition_penalty != null ? { repetitionPenalty: request.repetition_penalty } : {}),
    ...(request.seed != null ? { seed: request.seed } : {}),
  };
}

/** Returns the prompt and settings of a chat request: system messages become the system prompt, the rest turns. */
export function prepareChatRequest(request: ChatCompletionRequest, context: SteeringContext): PreparedGeneration {
  const systemParts: string[] = [];
  const turns: ConversationTurn[] = [];
  let characters = 0;
  request.messages.forEach((message, index) => {
    const text = contentText(message.content);
    characters += text.length;
    if (message.role === 'system' || message.role === 'developer') {
      if (turns.length > 0) {
        throw new ServerRequestError(`messages[${index}]: a ${message.role} message must come before the user and assistant messages`, {
          status: 400,
          param: `messages[${index}].role`,
        });
      }
      systemParts.push(text);
      return;
    }
    turns.push({ role: message.role, text });
  });
  checkPromptSize(characters, context.limits, 'messages');
  if (turns.length === 0 || turns[turns.length - 1]!.role !== 'user') {
    throw new ServerRequestError('the last message must be a user message for the model to answer', {
      status: 400,
      param: `messages[${request.messages.length - 1}].role`,
    });
  }
  refuseMixPrompts(request.steerlm, 'is for raw prompts on /v1/completions; give attributes and guidance here');
  const attributes = resolveAttributes(request.steerlm?.attributes, context.schema);
  const guidance = resolveGuidance(request.steerlm, attributes, context.schema);
  const { prompt, mix } = steeredPrompt({
    turns,
    attributes,
    schema: context.schema,
    template: context.template,
    ...(systemParts.length > 0 ? { system: systemParts.join('\n') } : {}),
    ...(guidance ? { guidance } : {}),
  });
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? context.limits.maxTokens;
  return {
    prompt,
    attributes,
    ...(guidance ? { guidance } : {}),
    options: { ...samplingOptions(request, maxTokens, context), ...mix },
    stream: request.stream === true,
    includeUsage: request.stream_options?.include_usage === true,
  };
}

/**
 * Returns the prompt and settings of a completion request. With a `steerlm` field the prompt is a user
 * message rendered with the attributes (defaults filling the rest) and guidance; without one, or with
 * `steerlm.mix_prompts` alone (raw logit mixing), it goes to the model verbatim, as OpenAI's completions
 * do (for clients that render `conditionPrompt` themselves).
 */
export function prepareCompletionRequest(request: CompletionRequest, context: SteeringContext): PreparedGeneration {
  const text = typeof request.prompt === 'string' ? request.prompt : request.prompt[0]!;
  const steerlm = request.steerlm;
  const mixPrompts = steerlm?.mix_prompts;
  checkPromptSize(text.length + (mixPrompts ?? []).reduce((sum, entry) => sum + entry.prompt.length, 0), context.limits, 'prompt');
  if (mixPrompts !== undefined && (steerlm?.attributes !== undefined || steerlm?.guidance !== undefined)) {
    refuseMixPrompts(steerlm, 'mixes raw prompts: give it without attributes and guidance, which render the prompt');
  }
  const raw = steerlm === undefined || mixPrompts !== undefined;
  const attributes = raw ? Object.freeze({}) : resolveAttributes(steerlm?.attributes, context.schema);
  const guidance = raw ? undefined : resolveGuidance(steerlm, attributes, context.schema);
  const { prompt, mix } = raw
    ? { prompt: text, mix: mixPrompts && mixPrompts.length > 0 ? { mixPrompts } : {} }
    : steeredPrompt({ prompt: text, attributes, schema: context.schema, template: context.template, ...(guidance ? { guidance } : {}) });
  const maxTokens = request.max_tokens ?? context.limits.maxTokens;
  return {
    prompt,
    attributes,
    ...(guidance ? { guidance } : {}),
    options: { ...samplingOptions(request, maxTokens, context), ...mix },
    stream: request.stream === true,
    includeUsage: request.stream_options?.include_usage === true,
  };
}
