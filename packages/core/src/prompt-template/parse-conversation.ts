import type { Conversation } from './conversation';
import type { ParseOptions, PromptTemplate, RenderOptions } from './prompt-template';
import { steerlmTemplate } from './steerlm-template';

/** Returns the text of a conversation in a template (default: SteerLM). */
export function renderConversation(conversation: Conversation, options: RenderOptions & { template?: PromptTemplate } = {}): string {
  const { template = steerlmTemplate, ...rest } = options;
  return template.render(conversation, rest);
}

/** Returns the conversation a rendered text holds: the inverse of `renderConversation`. */
export function parseConversation(text: string, options: ParseOptions & { template?: PromptTemplate } = {}): Conversation {
  const { template = steerlmTemplate, ...rest } = options;
  return template.parse(text, rest);
}
