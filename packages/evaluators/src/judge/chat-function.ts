import type { ChatMessage } from '@steerlm/core';

/**
 * Sends chat messages to a judge model and returns its reply text — e.g. core's
 * `createOpenAICompatibleChat(...).chat`, which owns timeouts, retries and rate limits.
 */
export type ChatFunction = (messages: readonly ChatMessage[]) => Promise<string>;
