import { groupHash, type Conversation } from '@steerlm/core';

/**
 * Returns a key per assistant turn of a conversation that is the same for the same turn in another
 * conversation of the group: a hash of its message id when `turnIds` gives one (oasst1), else of the
 * group and every turn up to it (two replies with the same text to one message then count once).
 * oasst1 threads of one tree share their earlier turns; counting by key counts such a response once.
 */
export function assistantTurnKeys(conversation: Conversation, group: string, turnIds?: readonly string[]): { index: number; key: number }[] {
  const keys: { index: number; key: number }[] = [];
  let path = group;
  conversation.turns.forEach((turn, index) => {
    path = `${groupHash(path).toString(36)}\u0000${turn.role}\u0000${turn.text}`;
    const id = turnIds?.[index];
    if (turn.role === 'assistant') keys.push({ index, key: groupHash(id !== undefined ? `id:${id}` : path) });
  });
  return keys;
}

/** Returns the keys of the labelled assistant turns (attributes given, even `{}`); see assistantTurnKeys. */
export function labelledResponseKeys(conversation: Conversation, group: string, turnIds?: readonly string[]): number[] {
  return assistantTurnKeys(conversation, group, turnIds)
    .filter(({ index }) => conversation.turns[index]!.attributes !== undefined)
    .map(({ key }) => key);
}
