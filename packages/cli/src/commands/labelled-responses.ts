import type { OptionSpecs } from '../cli';
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

/**
 * Returns each distinct labelled response once (the first), with how many repeats were left out. NeMo's
 * thread-per-record files repeat every turn a thread shares with its siblings (an oasst1 answer to the root
 * prompt is written once per leaf below it), so counting every occurrence weights a response by the number
 * of threads that pass through it. A response is a repeat when its system prompt, context, text and labels
 * are all the same.
 */
export function distinctLabelledResponses(responses: readonly LabelledResponse[]): { responses: LabelledResponse[]; repeats: number } {
  const seen = new Set<string>();
  const distinct: LabelledResponse[] = [];
  for (const response of responses) {
    const { system, context, response: text } = response.input;
    const key = JSON.stringify([system ?? null, context.map(({ role, text: turn }) => [role, turn]), text, response.labels ?? null]);
    if (seen.has(key)) continue;
    seen.add(key);
    distinct.push(response);
  }
  return { responses: distinct, repeats: responses.length - distinct.length };
}

/** The note's words for `repeats` left out by distinctLabelledResponses ('' for none). */
export function repeatsNote(repeats: number): string {
  return repeats > 0 ? ` (${repeats} repeats of a response counted once; --repeats all counts every occurrence)` : '';
}

/** `--repeats` of the commands that read labelled responses (apm train, apm eval): see distinctLabelledResponses. */
export const REPEATS_OPTION = {
  repeats: {
    kind: 'string',
    default: 'distinct',
    choices: ['distinct', 'all'],
    description:
      'a labelled response that several records repeat (NeMo files write the turns threads share once per thread): count it once (distinct) or at every occurrence (all)',
  },
} as const satisfies OptionSpecs;
