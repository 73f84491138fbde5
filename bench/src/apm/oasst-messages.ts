import { readFile } from 'node:fs/promises';
import { DataFormatError, type ConversationTurn, type ScoringInput } from '@steerlm/core';

/** One labelled assistant message of oasst1 in its conversation. */
export interface OasstAssistantItem {
  messageId: string;
  treeId: string;
  input: ScoringInput;
  /** Raw oasst1 label values in [0, 1] by label name. */
  labels: Record<string, number>;
  /** The Detoxify classifier's toxicity score of the message, when present. */
  detoxifyToxicity: number | undefined;
}

interface MessageRow {
  message_id: string;
  parent_id: string | null;
  message_tree_id: string;
  role: 'prompter' | 'assistant';
  text: string;
  lang?: string;
  detoxify?: { toxicity?: number } | null;
  labels?: { name: string[]; value: number[] } | null;
}

/** Returns every assistant message with labels from an oasst1 message-per-line JSONL file, with its ancestors as context. */
export async function readOasstAssistantItems(file: string): Promise<OasstAssistantItem[]> {
  const text = await readFile(file, 'utf8');
  const rows = new Map<string, MessageRow>();
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let row: MessageRow;
    try {
      row = JSON.parse(line) as MessageRow;
    } catch (cause) {
      throw new DataFormatError('the line is not valid JSON', { file, line: index + 1, cause });
    }
    if (typeof row.message_id !== 'string' || typeof row.text !== 'string') throw new DataFormatError('a message needs message_id and text', { file, line: index + 1 });
    rows.set(row.message_id, row);
  });
  const items: OasstAssistantItem[] = [];
  for (const row of rows.values()) {
    if (row.role !== 'assistant' || !row.labels || row.labels.name.length === 0) continue;
    const context: ConversationTurn[] = [];
    let parent = row.parent_id ? rows.get(row.parent_id) : undefined;
    while (parent) {
      context.unshift({ role: parent.role === 'prompter' ? 'user' : 'assistant', text: parent.text });
      parent = parent.parent_id ? rows.get(parent.parent_id) : undefined;
    }
    const labels: Record<string, number> = {};
    row.labels.name.forEach((name, index) => {
      labels[name] = row.labels!.value[index]!;
    });
    items.push({ messageId: row.message_id, treeId: row.message_tree_id, input: { context, response: row.text }, labels, detoxifyToxicity: row.detoxify?.toxicity ?? undefined });
  }
  return items;
}
