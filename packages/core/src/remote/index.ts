export { createOpenAICompatibleModel, sumContinuationLogprobs, type OpenAICompatibleModel, type OpenAICompatibleModelOptions } from './openai-compatible-model';
export {
  createOpenAICompatibleChat,
  type ChatMessage,
  type ChatOptions,
  type OpenAICompatibleChat,
  type OpenAICompatibleChatOptions,
} from './openai-compatible-chat';
export { createRemoteEndpoint, normaliseBaseURL, type RemoteEndpoint, type RemoteEndpointOptions } from './remote-endpoint';
export { isRetryableStatus, parseRetryAfter, resolveBackoff, retryDelay, type BackoffOptions, type ResolvedBackoff } from './retry-policy';
export { Semaphore } from './semaphore';
export { readServerSentEvents } from './server-sent-events';
export { streamChunks } from './stream-chunks';
export { sleep } from './sleep';
