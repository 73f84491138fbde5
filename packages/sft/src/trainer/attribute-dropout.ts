import type { Conversation } from '@steerlm/core';

/**
 * Returns the conversation with each attribute of each assistant label dropped with probability
 * `probability` (drawn from `random`), so the model learns to answer with attributes left unset.
 */
export function dropAttributes(conversation: Conversation, probability: number, random: () => number): Conversation {
  if (probability <= 0) return conversation;
  return {
    ...conversation,
    turns: conversation.turns.map((turn) => {
      if (turn.attributes === undefined) return turn;
      const kept = Object.fromEntries(Object.entries(turn.attributes).filter(() => random() >= probability));
      return { ...turn, attributes: kept };
    }),
  };
}
