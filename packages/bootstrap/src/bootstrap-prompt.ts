import { InvalidOptionError, type Conversation, type ConversationTurn } from '@steerlm/core';

/** A prompt to answer: a stable id (the resume key), an optional system prompt and turns ending with the user. */
export interface BootstrapPrompt {
  readonly id: string;
  readonly system?: string;
  readonly turns: readonly ConversationTurn[];
}

/**
 * Returns one prompt per conversation: its turns before the last assistant turn (attribute labels
 * of earlier assistant turns dropped), with id `${idPrefix}${index}`. Conversations ending with a
 * user turn are taken whole; those without a user turn are skipped.
 */
export function promptsFromConversations(conversations: readonly Conversation[], options: { idPrefix?: string } = {}): BootstrapPrompt[] {
  const prompts: BootstrapPrompt[] = [];
  conversations.forEach((conversation, index) => {
    let end = conversation.turns.length;
    while (end > 0 && conversation.turns[end - 1]!.role !== 'user') end -= 1;
    if (end === 0) return;
    const turns = conversation.turns.slice(0, end).map(({ role, text }) => ({ role, text }));
    prompts.push({ id: `${options.idPrefix ?? ''}${index}`, ...(conversation.system !== undefined ? { system: conversation.system } : {}), turns });
  });
  return prompts;
}

/** Throws an InvalidOptionError unless prompts have unique non-empty ids and end with a user turn. */
export function checkPrompts(prompts: readonly BootstrapPrompt[]): void {
  if (!Array.isArray(prompts) || prompts.length === 0) throw new InvalidOptionError('prompts must be a non-empty array', { option: 'prompts' });
  const ids = new Set<string>();
  prompts.forEach((prompt, index) => {
    if (typeof prompt.id !== 'string' || prompt.id === '')
      throw new InvalidOptionError(`prompts[${index}].id must be a non-empty string`, { option: `prompts[${index}].id` });
    if (ids.has(prompt.id))
      throw new InvalidOptionError(`prompt id ${JSON.stringify(prompt.id)} is used twice`, {
        option: `prompts[${index}].id`,
        hint: 'ids key the resumable output; make them unique',
      });
    ids.add(prompt.id);
    const last = prompt.turns?.[prompt.turns.length - 1];
    if (!last || last.role !== 'user') throw new InvalidOptionError(`prompts[${index}] must end with a user turn`, { option: `prompts[${index}].turns` });
  });
}
