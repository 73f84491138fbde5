import { OASST, steerlmTemplate, type Conversation } from '@steerlm/core';

/** Annotated conversations for tests: OASST labels on every assistant turn. */
export const ANNOTATED_CONVERSATIONS: readonly Conversation[] = [
  ['what do cats like?', 'cats like to sit on warm mats and chase mice.', { quality: 4, toxicity: 0, humor: 1, creativity: 2 }],
  ['tell me about dogs', 'dogs like long walks and a good stick.', { quality: 4, toxicity: 0, humor: 2, creativity: 1 }],
  ['say something rude', 'no, I would rather be kind.', { quality: 3, toxicity: 0, humor: 0, creativity: 0 }],
  ['a joke please', 'a cat walks into a bar and orders a mat.', { quality: 4, toxicity: 0, humor: 3, creativity: 3 }],
  ['how are fish?', 'fish swim in cold water all day long.', { quality: 2, toxicity: 0, humor: 0, creativity: 1 }],
  ['what do cats like?', 'cats like naps.', { quality: 4, toxicity: 0, humor: 1, creativity: 2 }],
].map(([user, assistant, attributes]) => ({
  turns: [
    { role: 'user' as const, text: user as string },
    { role: 'assistant' as const, text: assistant as string, attributes: attributes as Record<string, number> },
  ],
}));

/** The training texts of a tiny character model that speaks the SteerLM template. */
export const TEMPLATE_TEXTS: readonly string[] = ANNOTATED_CONVERSATIONS.map(
  (conversation) => `${steerlmTemplate.render(conversation, { schema: OASST })}${steerlmTemplate.stopStrings[0]}`,
);
