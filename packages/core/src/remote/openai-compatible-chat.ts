import { InvalidOptionError, RemoteError } from '../errors';
import { createRemoteEndpoint, type RemoteEndpointOptions } from './remote-endpoint';

/** One chat message in OpenAI's format. */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** Sampling settings of one chat request. */
export interface ChatOptions {
  maxTokens?: number;
  /** 0 means greedy. */
  temperature?: number;
  topP?: number;
  seed?: number;
  stop?: readonly string[];
  signal?: AbortSignal;
}

export type OpenAICompatibleChatOptions = RemoteEndpointOptions;

/** A chat model over an OpenAI-compatible `/v1/chat/completions` endpoint (e.g. a judge). */
export interface OpenAICompatibleChat {
  readonly modelId: string;
  readonly baseURL: string;
  /** Returns the assistant's answer to `messages`. */
  chat(messages: readonly ChatMessage[], options?: ChatOptions): Promise<string>;
  /** Returns the assistant's answer piece by piece as the server streams it. */
  stream(messages: readonly ChatMessage[], options?: ChatOptions): AsyncIterable<string>;
}

function checkMessages(messages: readonly ChatMessage[]): void {
  if (!Array.isArray(messages) || messages.length === 0) throw new InvalidOptionError('messages must be a non-empty array', { option: 'messages' });
  messages.forEach((message, index) => {
    if (!['system', 'user', 'assistant'].includes(message?.role) || typeof message.content !== 'string') {
      throw new InvalidOptionError(`messages[${index}] must be { role: "system" | "user" | "assistant", content: string }`, { option: `messages[${index}]` });
    }
  });
}

/**
 * Returns a chat client over an OpenAI-compatible `/v1/chat/completions`, with the same bounded
 * concurrency, timeouts and retries as `createOpenAICompatibleModel`.
 */
export function createOpenAICompatibleChat(options: OpenAICompatibleChatOptions): OpenAICompatibleChat {
  const endpoint = createRemoteEndpoint(options);
  const url = `${endpoint.baseURL}/chat/completions`;
  const requestBody = (messages: readonly ChatMessage[], chat: ChatOptions, stream: boolean): Record<string, unknown> => {
    checkMessages(messages);
    return {
      model: endpoint.model,
      messages: messages.map(({ role, content }) => ({ role, content })),
      ...(chat.maxTokens !== undefined ? { max_tokens: chat.maxTokens } : {}),
      ...(chat.temperature !== undefined ? { temperature: chat.temperature } : {}),
      ...(chat.topP !== undefined ? { top_p: chat.topP } : {}),
      ...(chat.seed !== undefined ? { seed: chat.seed } : {}),
      ...(chat.stop && chat.stop.length > 0 ? { stop: [...chat.stop] } : {}),
      stream,
    };
  };
  return {
    modelId: options.model,
    baseURL: endpoint.baseURL,
    async chat(messages, chat = {}) {
      const answer = (await endpoint.postJson('/chat/completions', requestBody(messages, chat, false), chat.signal)) as {
        choices?: { message?: { content?: unknown } }[];
      } | null;
      const content = answer?.choices?.[0]?.message?.content;
      if (typeof content !== 'string')
        throw new RemoteError(`${url} answered without choices[0].message.content`, { url, hint: 'is baseURL an OpenAI-compatible chat server?' });
      return content;
    },
    async *stream(messages, chat = {}) {
      for await (const event of endpoint.postStream('/chat/completions', requestBody(messages, chat, true), chat.signal)) {
        const content = (event as { choices?: { delta?: { content?: unknown } }[] }).choices?.[0]?.delta?.content;
        if (typeof content === 'string' && content !== '') yield content;
      }
    },
  };
}
