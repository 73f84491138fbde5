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

/** The HelpSteer2 row a record with a multi-turn prompt came from, read by our HelpSteer reader. */
function helpSteerConversation(record: NemoRecord): Conversation {
  const [prompt, response] = record.conversations;
  const ratings = Object.fromEntries(response!.label!.split(',').map((pair) => [pair.split(':')[0], Number(pair.split(':')[1])]));
  return helpSteerRowToConversation({ prompt: prompt!.value, response: response!.value, ...(ratings as { helpfulness: number; correctness: number; coherence: number; complexity: number; verbosity: number }) }, { system: record.system });
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
    const conversations = [nemoRecordToConversation(validateNemoRecord(item.record))];
    if (item.record.conversations[0]!.value.includes('<extra_id_1>')) conversations.push(helpSteerConversation(item.record));
    for (const conversation of conversations) {
      const example = tokenizeConversation(conversation, tokenizer)!;
      expect(example.ids).toEqual(item.ids);
      expect(example.trained.map(Number).join('')).toBe(item.trained);
    }
  });
});
