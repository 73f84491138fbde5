import { nemoRecordToConversation, readNemoRecords, type AttributeSchema, type Conversation } from '@steerlm/core';

/** Returns the conversations of a NeMo-Aligner SteerLM JSONL file (labels parsed with `schema`); bad lines stop with file:line. */
export async function readConversations(file: string, schema: AttributeSchema): Promise<Conversation[]> {
  const conversations: Conversation[] = [];
  for await (const { value } of readNemoRecords(file, { schema })) conversations.push(nemoRecordToConversation(value, { schema }));
  return conversations;
}
