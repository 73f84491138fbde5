import { randomUUID } from 'node:crypto';
import type { FinishReason } from '@steerlm/core';

/** Which OpenAI endpoint a response belongs to. */
export type EndpointKind = 'chat' | 'completion';

/** Token counts in OpenAI's shape. */
export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** Returns a new response id with the endpoint's OpenAI prefix (`chatcmpl-…` or `cmpl-…`). */
export function newResponseId(kind: EndpointKind): string {
  return `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID().replaceAll('-', '')}`;
}

/** Returns OpenAI's finish reason for a model's ('abort' has none, so it reads as 'stop'). */
export function openAIFinishReason(reason: FinishReason): 'stop' | 'length' {
  return reason === 'length' ? 'length' : 'stop';
}

/** Returns OpenAI's usage object from prompt and completion token counts. */
export function openAIUsage(promptTokens: number, completionTokens: number): OpenAIUsage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

interface ResponseHeader {
  id: string;
  created: number;
  model: string;
}

/** Returns a whole (non-streamed) response object of the endpoint. */
export function completionBody(
  kind: EndpointKind,
  header: ResponseHeader,
  text: string,
  finishReason: 'stop' | 'length',
  usage: OpenAIUsage,
  steerlm: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const choice =
    kind === 'chat'
      ? { index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: finishReason }
      : { index: 0, text, logprobs: null, finish_reason: finishReason };
  return { ...header, object: kind === 'chat' ? 'chat.completion' : 'text_completion', choices: [choice], usage, steerlm };
}

/** Returns one streamed chunk of the endpoint: a text piece, or the final chunk with its finish reason. */
export function chunkBody(
  kind: EndpointKind,
  header: ResponseHeader,
  piece: { text?: string; role?: boolean; finishReason?: 'stop' | 'length' },
): Record<string, unknown> {
  const finish = piece.finishReason ?? null;
  if (kind === 'chat') {
    const delta: Record<string, string> = {};
    if (piece.role) delta.role = 'assistant';
    if (piece.text !== undefined) delta.content = piece.text;
    return { ...header, object: 'chat.completion.chunk', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] };
  }
  return { ...header, object: 'text_completion', choices: [{ index: 0, text: piece.text ?? '', logprobs: null, finish_reason: finish }] };
}

/**
 * Returns a function that renders one streamed text chunk of the endpoint as JSON: exactly
 * `JSON.stringify(chunkBody(kind, header, { text }))`, with everything but the text rendered once per
 * response (a streamed token then costs one string escape instead of an object and its whole JSON).
 */
export function textChunkJson(kind: EndpointKind, header: ResponseHeader): (text: string) => string {
  const marker = '\u0000text\u0000';
  const template = JSON.stringify(chunkBody(kind, header, { text: marker }));
  // The text comes after the header's fields, so the last occurrence is the text's own.
  const at = template.lastIndexOf(JSON.stringify(marker));
  const before = template.slice(0, at);
  const after = template.slice(at + JSON.stringify(marker).length);
  return (text) => before + JSON.stringify(text) + after;
}

/** Returns the usage-only chunk sent last when a stream asks for `stream_options.include_usage`. */
export function usageChunkBody(kind: EndpointKind, header: ResponseHeader, usage: OpenAIUsage): Record<string, unknown> {
  return { ...header, object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion', choices: [], usage };
}
