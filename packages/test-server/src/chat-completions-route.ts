import type { ServerResponse } from 'node:http';
import { steerlmTemplate, SteerLMError, type ConversationTurn } from '@steerlm/core';
import { checkModelName, type RouteContext } from './completions-route';
import { endEventStream, RequestError, sendCompletion, startEventStream } from './http-helpers';
import { choiceOptions, readChoiceCount, readGenerateOptions } from './request-parameters';

function readConversation(body: Record<string, unknown>): { system?: string; turns: ConversationTurn[] } {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) throw new RequestError(400, 'messages must be a non-empty array', 'messages');
  let system: string | undefined;
  const turns: ConversationTurn[] = [];
  messages.forEach((message: unknown, index) => {
    const { role, content } = (message ?? {}) as { role?: unknown; content?: unknown };
    if (typeof content !== 'string') throw new RequestError(400, `messages[${index}].content must be a string`, `messages[${index}].content`);
    if (role === 'system' && index === 0) system = content;
    else if (role === 'user' || role === 'assistant') turns.push({ role, text: content });
    else
      throw new RequestError(
        400,
        `messages[${index}].role must be "user" or "assistant" (or "system" first), got ${JSON.stringify(role)}`,
        `messages[${index}].role`,
      );
  });
  if (turns.length === 0 || turns[turns.length - 1]!.role !== 'user') throw new RequestError(400, 'the last message must come from the user', 'messages');
  return { ...(system !== undefined ? { system } : {}), turns };
}

/** Answers POST /v1/chat/completions by rendering the messages with the SteerLM template (JSON or SSE). */
export async function handleChatCompletions(response: ServerResponse, context: RouteContext): Promise<void> {
  const body = await context.readBody();
  checkModelName(body, context.modelName);
  let prompt: string;
  try {
    prompt = steerlmTemplate.render(readConversation(body), { generation: {} });
  } catch (error) {
    if (SteerLMError.isInstance(error)) throw new RequestError(400, error.message, 'messages');
    throw error;
  }
  const choiceCount = readChoiceCount(body);
  const options = readGenerateOptions(body, 256, steerlmTemplate.stopStrings);
  const id = context.nextId('chatcmpl');
  const created = Math.floor(Date.now() / 1000);

  if (body.stream === true) {
    const send = startEventStream(response);
    const chunk = (index: number, delta: Record<string, string>, finishReason: string | null) =>
      send({ id, object: 'chat.completion.chunk', created, model: context.modelName, choices: [{ index, delta, finish_reason: finishReason }] });
    for (let index = 0; index < choiceCount; index++) {
      const seeded = { ...choiceOptions(options, index), signal: context.signal };
      chunk(index, { role: 'assistant' }, null);
      if (context.model.stream) {
        let pieces = 0;
        for await (const piece of context.model.stream(prompt, seeded)) {
          pieces += 1;
          chunk(index, { content: piece }, null);
        }
        chunk(index, {}, pieces >= (options.maxTokens ?? Infinity) ? 'length' : 'stop');
      } else {
        const result = await context.model.generate(prompt, seeded);
        if (result.text) chunk(index, { content: result.text }, null);
        chunk(index, {}, result.finishReason === 'length' ? 'length' : 'stop');
      }
    }
    endEventStream(send, response);
    return;
  }

  const choices: unknown[] = [];
  let promptTokens = 0;
  let completionTokens = 0;
  for (let index = 0; index < choiceCount; index++) {
    const result = await context.model.generate(prompt, { ...choiceOptions(options, index), signal: context.signal });
    promptTokens = result.usage.promptTokens;
    completionTokens += result.usage.completionTokens;
    choices.push({ index, message: { role: 'assistant', content: result.text }, finish_reason: result.finishReason === 'length' ? 'length' : 'stop' });
  }
  sendCompletion(response, { id, object: 'chat.completion', created, model: context.modelName }, choices, promptTokens, completionTokens);
}
