import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { helpSteerRowToConversation, nemoRecordToConversation, validateNemoRecord, type Conversation, type NemoRecord } from '@steerlm/core';
import { tokenizerFromJson } from '../io/tokenizer';
import { tokenizeConversation } from './loss-mask';
import { nemoPreprocess, type NemoChatRecord } from './testing/nemo-sft-chat-masks';

interface Golden {
  tokenizerJson: unknown;
  tokenizerConfig: Record<string, unknown>;
  cases: { name: string; record: NemoRecord; ids: number[]; trained: string }[];
}

/** The HelpSteer2 row a record with a multi-turn prompt came from, read by our HelpSteer reader. */
function helpSteerConversation(record: NemoRecord): Conversation {
  const [prompt, response] = record.conversations;
  const ratings = Object.fromEntries(response!.label!.split(',').map((pair) => [pair.split(':')[0], Number(pair.split(':')[1])]));
  return helpSteerRowToConversation(
    {
      prompt: prompt!.value,
      response: response!.value,
      ...(ratings as { helpfulness: number; correctness: number; coherence: number; complexity: number; verbosity: number }),
    },
    { system: record.system },
  );
}

// Golden files: ids and masks computed by NeMo GPTSFTChatDataset's algorithm (scripts/nemo-reference/sft-masks.mts).
describe.each([
  ['a byte-level BPE tokenizer', 'nemo-masks-byte-level-bpe.json'],
  ['a SentencePiece-style (Llama 2) tokenizer', 'nemo-masks-sentencepiece.json'],
])("loss masks equal NeMo-Aligner's with %s", (_, file) => {
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

describe.each([
  ['a byte-level BPE tokenizer', 'nemo-masks-byte-level-bpe.json'],
  ['a SentencePiece-style (Llama 2) tokenizer', 'nemo-masks-sentencepiece.json'],
])("property: loss masks equal NeMo's algorithm on random conversations, with %s", (_, file) => {
  it('ids and masks match for both record types, labels null, empty or set, and texts with spaces, newlines and emoji', async () => {
    const golden = JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8')) as Golden;
    const tokenizer = await tokenizerFromJson(golden.tokenizerJson, golden.tokenizerConfig);
    const text = fc.string({ unit: fc.constantFrom('a', 'h', 'e', 'l', 'o', ' ', '\n', 'é', '😀', '.', 'w', 'r', 'd', '4', ':'), maxLength: 12 });
    const label = fc.option(fc.constantFrom('', 'quality:4', 'quality:0,humor:2', 'toxicity:1'), { nil: null });
    const records = fc
      .record({
        system: text,
        type: fc.constantFrom('VALUE_TO_TEXT' as const, 'TEXT_TO_VALUE' as const),
        pairs: fc.array(fc.record({ user: text, assistant: text, label }), { minLength: 1, maxLength: 3 }),
        last: fc.option(text, { nil: undefined }),
      })
      .map(({ system, type, pairs, last }): NemoChatRecord => ({
        system,
        mask: 'User',
        type,
        conversations: [
          ...pairs.flatMap((pair) => [
            { from: 'User' as const, value: pair.user, label: null },
            { from: 'Assistant' as const, value: pair.assistant, label: pair.label },
          ]),
          ...(last === undefined ? [] : [{ from: 'User' as const, value: last, label: null }]),
        ],
      }));
    fc.assert(
      fc.property(records, (record) => {
        const reference = nemoPreprocess(record, (value) => tokenizer.encode(value));
        const example = tokenizeConversation(nemoRecordToConversation(validateNemoRecord(record)), tokenizer)!;
        expect(example.ids).toEqual(reference.ids);
        expect(example.trained.map(Number).join('')).toBe(reference.trained.map(Number).join(''));
      }),
      { numRuns: 300, seed: 13 },
    );
  }, 60_000);
});
