import { TemplateError } from '../errors';
import type { Conversation } from './conversation';

/** Throws a TemplateError when any text of the conversation contains one of the reserved tokens. */
export function assertNoReservedTokens(conversation: Conversation, tokens: readonly string[], templateName: string): void {
  const check = (text: string, field: string) => {
    if (typeof text !== 'string') throw new TemplateError(`${field} must be a string, got ${typeof text}`, { field });
    for (const token of tokens) {
      if (text.includes(token)) {
        throw new TemplateError(`${field} contains the reserved token ${token} of the ${templateName} template`, {
          field,
          hint: 'remove control tokens from user-provided text; they would forge turn boundaries',
        });
      }
    }
  };
  if (conversation.system !== undefined) check(conversation.system, 'system');
  conversation.turns.forEach((turn, index) => check(turn.text, `turns[${index}].text`));
}
