import { nemoRecordToConversation, readNemoRecords, type AttributeSchema, type AttributeValues, type ScoringInput } from '@steerlm/core';

/** One assistant response of a NeMo file with its context and, when the turn has one, its label. */
export interface LabelledResponse {
  readonly input: ScoringInput;
  readonly labels: AttributeValues | undefined;
  /**
   * The record's `tree_id` when it has one, else its first user message (records of one conversation
   * tree — OASST threads share their root prompt — and repeated prompts stay together): rows of one
   * group share a split side, so a response is never on both sides of the validation split.
   */
  readonly group: string;
}

/** Returns every assistant response of a NeMo SteerLM JSONL file with its context, label and group. */
export async function readLabelledResponses(file: string, schema: AttributeSchema): Promise<LabelledResponse[]> {
  const responses: LabelledResponse[] = [];
  for await (const { line, value } of readNemoRecords(file, { schema })) {
    const conversation = nemoRecordToConversation(value, { schema });
    const firstUser = conversation.turns.find((turn) => turn.role === 'user')?.text;
    const group = typeof value.tree_id === 'string' ? `tree:${value.tree_id}` : firstUser !== undefined ? `prompt:${firstUser}` : `line:${line}`;
    conversation.turns.forEach((turn, index) => {
      if (turn.role !== 'assistant') return;
      responses.push({
        input: {
          ...(conversation.system !== undefined ? { system: conversation.system } : {}),
          context: conversation.turns.slice(0, index).map(({ role, text }) => ({ role, text })),
          response: turn.text,
        },
        labels: turn.attributes,
        group,
      });
    });
  }
  return responses;
}
