import { conditionPrompt, type AttributeValues, type Conversation, type ScoringInput } from '@steerlm/core';
import { STEERBENCH_SCHEMA, STEERBENCH_SYSTEM_PROMPT } from '@steerlm/evaluators';

/** Returns a SteerBench question and response as a conversation; with `attributes` the response is labelled (VALUE_TO_TEXT). */
export function steerBenchConversation(question: string, response: string, attributes?: AttributeValues): Conversation {
  return {
    system: STEERBENCH_SYSTEM_PROMPT,
    turns: [
      { role: 'user', text: question },
      { role: 'assistant', text: response, ...(attributes !== undefined ? { attributes } : {}) },
    ],
  };
}

/** Returns the text a model continues to answer `question`, steered by `attributes` when given. */
export function steerBenchPromptText(question: string, attributes?: AttributeValues): string {
  return conditionPrompt({
    system: STEERBENCH_SYSTEM_PROMPT,
    prompt: question,
    schema: STEERBENCH_SCHEMA,
    ...(attributes !== undefined ? { attributes } : {}),
  });
}

/** Returns the scorer input of a response to a SteerBench question. */
export function steerBenchScoringInput(question: string, response: string): ScoringInput {
  return { system: STEERBENCH_SYSTEM_PROMPT, context: [{ role: 'user', text: question }], response };
}
