import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { helpSteerRowToConversation, nemoRecordToConversation, validateNemoRecord, type Conversation, type NemoRecord } from '@steerlm/core';
import { tokenizerFromJson } from '../io/tokenizer';
import { tokenizeConversation } from './loss-mask';

interface Golden {
  tokenizerJson: unknown;
  tokenizerConfig: Record<string, unknown>;
  cases: { name: string; record: NemoRecord; ids: number[]; trained: string }[];
}

/** The conversation our readers make of a golden record (HelpSteer2's prompt is split into context turns). */
function conversationOf(record: NemoRecord): Conversation {
  const [prompt, response] = record.conversations;
  if (record.conversations.length === 2 && prompt!.value.includes('<extra_id_1>')) {
    const ratings = Object.fromEntries(response!.label!.split(',').map((pair) => [pair.split(':')[0], Number(pair.split(':')[1])]));
    return helpSteerRowToConversation({ prompt: prompt!.value, response: response!.value, ...(ratings as { helpfulness: number; correctness: number; coherence: number; complexity: number; verbosity: number }) }, { system: record.system });
  }
  return nemoRecordToConversation(validateNemoRecord(record));
}

// Golden files: ids and masks computed by NeMo GPTSFTChatDataset's algorithm (scripts/nemo-reference/sft-masks.mts).
describe.each([
  ['a byte-level BPE tokenizer', 'nemo-masks-byte-level-bpe.json'],
  ['a SentencePiece-style (Llama 2) tokenizer', 'nemo-masks-sentencepiece.json'],
])('loss masks equal NeMo-Aligner\'s with %s', (_, file) => {
  const golden = JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8')) as Golden;
  const names = golden.cases.map((item) => item.name);
  it.each(names)('%s', async (name) => {
    const tokenizer = await tokenizerFromJson(golden.tokenizerJson, golden.tokenizerConfig);
    const item = golden.cases.find((candidate) => candidate.name === name)!;
    const example = tokenizeConversation(conversationOf(item.record), tokenizer)!;
    expect(example.ids).toEqual(item.ids);
    expect(example.trained.map(Number).join('')).toBe(item.trained);
  });
});
