/** One message of a chat request (the OpenAI chat-completions shape). */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/**
 * Sends chat messages to a judge model and returns its reply text — e.g. an OpenAI-compatible
 * `/v1/chat/completions` client, which owns timeouts, retries and rate limits.
 */
export type ChatFunction = (messages: readonly ChatMessage[]) => Promise<string>;
