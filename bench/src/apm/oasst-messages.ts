import { readOasstResponses, type ScoringInput } from '@steerlm/core';

/** One labelled assistant message of oasst1 in its conversation. */
export interface OasstAssistantItem {
  messageId: string;
  treeId: string;
  input: ScoringInput;
  /** Raw oasst1 label values in [0, 1] by label name. */
  labels: Readonly<Record<string, number>>;
  /** The Detoxify classifier's toxicity score of the message, when present. */
  detoxifyToxicity: number | undefined;
}

/**
 * Returns every labelled assistant message of an oasst1 message-per-line JSONL file (core's reader,
 * deleted messages left out: the protocol docs/benchmarks.md reports).
 */
export async function readOasstAssistantItems(file: string): Promise<OasstAssistantItem[]> {
  const items: OasstAssistantItem[] = [];
  for await (const response of readOasstResponses(file, { includeDeleted: false })) {
    items.push({
      messageId: response.messageId,
      treeId: response.treeId,
      input: { context: response.context, response: response.response },
      labels: response.labels,
      detoxifyToxicity: response.detoxify?.toxicity,
    });
  }
  return items;
}
