/** Seeded attribute-conditioned conversations long enough to fill every row of a benchmark batch. */
import type { Conversation } from '@steerlm/core';

const WORDS = [
  'the',
  'model',
  'answers',
  'with',
  'care',
  'and',
  'some',
  'humor',
  'about',
  'rivers',
  'cities',
  'numbers',
  'colours',
  'music',
  'a',
  'short',
  'list',
];

/** Returns `count` conversations (system, user, assistant with quality/humor labels) of at least `characters` characters each. */
export function syntheticConversations(count: number, characters: number, seed = 1): Conversation[] {
  let state = seed >>> 0 || 1;
  const next = (limit: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % limit;
  };
  const sentence = (length: number) => {
    const words: string[] = [];
    while (words.join(' ').length < length) words.push(WORDS[next(WORDS.length)]!);
    return words.join(' ');
  };
  return Array.from({ length: count }, (_, index) => ({
    system: 'A helpful assistant.',
    turns: [
      { role: 'user' as const, text: `${sentence(30)}?` },
      { role: 'assistant' as const, text: `${sentence(characters)}.`, attributes: { quality: index % 5, humor: next(5) } },
    ],
  }));
}
