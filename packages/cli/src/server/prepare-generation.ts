import {
  conditionPrompt,
  validateAttributes,
  type AttributeSchema,
  type AttributeValues,
  type ConversationTurn,
  type GenerateOptions,
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

/** Returns the requested attribute values merged over the schema's defaults, validated (names, integer ranges). */
export function resolveAttributes(requested: Readonly<Record<string, number>> | undefined, schema: AttributeSchema): AttributeValues {
  return validateAttributes({ ...schema.defaults(), ...(requested ?? {}) }, schema);
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
  const attributes = resolveAttributes(request.steerlm?.attributes, context.schema);
  const prompt = conditionPrompt({
    turns,
    attributes,
    schema: context.schema,
    template: context.template,
    ...(systemParts.length > 0 ? { system: systemParts.join('\n') } : {}),
  });
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? context.limits.maxTokens;
  return {
    prompt,
    attributes,
    options: samplingOptions(request, maxTokens, context),
    stream: request.stream === true,
    includeUsage: request.stream_options?.include_usage === true,
  };
}

/**
 * Returns the prompt and settings of a completion request. With a `steerlm` field the prompt is a user
 * message rendered with the attributes (defaults filling the rest); without one it goes to the model
 * verbatim, as OpenAI's completions do (for clients that render `conditionPrompt` themselves).
 */
export function prepareCompletionRequest(request: CompletionRequest, context: SteeringContext): PreparedGeneration {
  const text = typeof request.prompt === 'string' ? request.prompt : request.prompt[0]!;
  checkPromptSize(text.length, context.limits, 'prompt');
  const raw = request.steerlm === undefined;
  const attributes = raw ? Object.freeze({}) : resolveAttributes(request.steerlm?.attributes, context.schema);
  const prompt = raw ? text : conditionPrompt({ prompt: text, attributes, schema: context.schema, template: context.template });
  const maxTokens = request.max_tokens ?? context.limits.maxTokens;
  return {
    prompt,
    attributes,
    options: samplingOptions(request, maxTokens, context),
    stream: request.stream === true,
    includeUsage: request.stream_options?.include_usage === true,
  };
}
