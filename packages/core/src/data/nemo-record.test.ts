import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HELPSTEER, OASST } from '../attributes';
import { DataFormatError } from '../errors';
import { DEFAULT_SYSTEM_PROMPT, type Conversation } from '../prompt-template';
import { conversationToNemoRecord, nemoRecordToConversation, readNemoRecords, validateNemoRecord, type NemoRecord } from './nemo-record';
import { writeNemoRecords } from '../node/record-files';

const folder = await mkdtemp(join(tmpdir(), 'steerlm-nemo-'));
afterAll(() => rm(folder, { recursive: true, force: true }));

const conversation: Conversation = {
  system: 'Be brief.',
  turns: [
    { role: 'user', text: 'Hi' },
    { role: 'assistant', text: 'Hello!', attributes: { quality: 4, toxicity: 0, helpfulness: 3 } },
    { role: 'user', text: 'A joke?' },
    { role: 'assistant', text: 'No.' },
    { role: 'user', text: 'Please' },
    { role: 'assistant', text: 'Fine.', attributes: {} },
  ],
};

const record: NemoRecord = {
  system: 'Be brief.',
  mask: 'User',
  type: 'VALUE_TO_TEXT',
  conversations: [
    { from: 'User', value: 'Hi', label: null },
    { from: 'Assistant', value: 'Hello!', label: 'quality:4,toxicity:0,helpfulness:3' },
    { from: 'User', value: 'A joke?', label: null },
    { from: 'Assistant', value: 'No.', label: null },
    { from: 'User', value: 'Please', label: null },
    { from: 'Assistant', value: 'Fine.', label: '' },
  ],
};

function validationError(value: unknown): DataFormatError {
  try {
    validateNemoRecord(value, { location: { file: 'train.jsonl', line: 7 } });
  } catch (error) {
    expect(DataFormatError.isInstance(error)).toBe(true);
    return error as DataFormatError;
  }
  throw new Error('expected a DataFormatError');
}

describe('NeMo SteerLM records', () => {
  it('reads and writes a HelpSteer2 multi-turn prompt as NeMo does: one User turn, its earlier turns context only', () => {
    const prompt = 'u1\n\n<extra_id_1>Assistant\na1\n<extra_id_1>User\nu2';
    // The record preprocess_helpsteer2_data.py writes for a multi-turn row.
    const record = validateNemoRecord({
      system: 's',
      mask: 'User',
      type: 'VALUE_TO_TEXT',
      conversations: [
        { from: 'User', value: prompt, label: null },
        { from: 'Assistant', value: 'r', label: 'helpfulness:3' },
      ],
    });
    const conversation = nemoRecordToConversation(record);
    expect(conversation.turns).toEqual([
      { role: 'user', text: 'u1\n' },
      { role: 'assistant', text: 'a1', train: false },
      { role: 'user', text: 'u2' },
      { role: 'assistant', text: 'r', attributes: { helpfulness: 3 } },
    ]);
    expect(conversationToNemoRecord(conversation)).toEqual(record);
    expect(() => nemoRecordToConversation({ ...record, conversations: [{ from: 'User', value: 'x<extra_id_1>Robot\ny', label: null }] })).toThrow(
      /field "conversations\[0\]\.value"/,
    );
  });

  it("keeps a TEXT_TO_VALUE record's type as the conversation's placement (issue 13, finding 4)", () => {
    const record = validateNemoRecord({
      system: 's',
      mask: 'User',
      type: 'TEXT_TO_VALUE',
      conversations: [
        { from: 'User', value: 'q', label: null },
        { from: 'Assistant', value: 'a', label: 'quality:3' },
      ],
    });
    const conversation = nemoRecordToConversation(record);
    expect(conversation.placement).toBe('TEXT_TO_VALUE');
    expect(conversationToNemoRecord(conversation).type).toBe('TEXT_TO_VALUE');
    expect(nemoRecordToConversation(record, { placement: 'VALUE_TO_TEXT' }).placement).toBeUndefined();
  });

  it('converts a conversation to a record and back exactly', () => {
    expect(conversationToNemoRecord(conversation)).toEqual(record);
    expect(nemoRecordToConversation(record)).toEqual(conversation);
    const unset = conversationToNemoRecord({ turns: conversation.turns.slice(0, 2) }, { type: 'TEXT_TO_VALUE' });
    expect(unset.system).toBe(DEFAULT_SYSTEM_PROMPT);
    expect(unset.type).toBe('TEXT_TO_VALUE');
  });

  it('round-trips records through a file, keeping extra keys such as tree_id', async () => {
    const path = join(folder, 'records.jsonl');
    const withTree = { ...record, tree_id: 'tree-1' };
    expect(await writeNemoRecords(path, [withTree, conversationToNemoRecord({ turns: [{ role: 'user', text: 'x' }] })])).toBe(2);
    const reader = readNemoRecords(path);
    const read: NemoRecord[] = [];
    for await (const line of reader) read.push(line.value);
    expect(read[0]).toEqual(withTree);
    expect(read[0]!.tree_id).toBe('tree-1');
    expect(nemoRecordToConversation(read[0]!)).toEqual(conversation);
    expect(read[1]!.conversations).toEqual([{ from: 'User', value: 'x', label: null }]);
  });

  it('names the field path of each wrong field', () => {
    const turns = record.conversations;
    const cases: [unknown, string, RegExp][] = [
      [[], undefined as unknown as string, /expected a NeMo record \(a JSON object\), got array/],
      [{ ...record, system: 3 }, 'system', /expected a string, got number/],
      [{ ...record, mask: 'Assistant' }, 'mask', /expected "User"/],
      [{ ...record, type: 'TEXT' }, 'type', /VALUE_TO_TEXT/],
      [{ ...record, conversations: {} }, 'conversations', /expected an array, got object/],
      [{ ...record, conversations: [] }, 'conversations', /at least one turn/],
      [{ ...record, conversations: [turns[0], turns[1], 'x'] }, 'conversations[2]', /expected a turn/],
      [{ ...record, conversations: [turns[0], turns[1], { ...turns[2], from: 'Bot' }] }, 'conversations[2].from', /"User" or "Assistant", got "Bot"/],
      [{ ...record, conversations: [turns[0], { ...turns[1], value: null }] }, 'conversations[1].value', /got null/],
      [{ ...record, conversations: [turns[0], { ...turns[1], label: 4 }] }, 'conversations[1].label', /string or null/],
      [{ ...record, conversations: [turns[0], { ...turns[1], label: 'quality:5' }] }, 'conversations[1].label', /outside 0\.\.4/],
      [{ ...record, conversations: [turns[0], { ...turns[1], label: 'wit:2' }] }, 'conversations[1].label', /unknown attribute "wit"/],
    ];
    for (const [value, field, message] of cases) {
      const error = validationError(value);
      expect(error.field).toBe(field);
      expect(error.file).toBe('train.jsonl');
      expect(error.line).toBe(7);
      expect(error.message).toMatch(message);
    }
    const location = validationError({ ...record, conversations: [turns[0], { ...turns[1], from: 1 }] });
    expect(location.message).toBe('train.jsonl:7, field "conversations[1].from": expected a string, got number');
  });

  it('parses labels with the given schema and drops labels on User turns', () => {
    const helpsteer = {
      ...record,
      conversations: [
        { from: 'User', value: 'q', label: 'helpfulness:1' },
        { from: 'Assistant', value: 'a', label: 'helpfulness:2' },
      ],
    };
    expect(() => validateNemoRecord(helpsteer, { schema: OASST })).toThrow(/unknown attribute "helpfulness"/);
    const checked = validateNemoRecord(helpsteer, { schema: HELPSTEER });
    expect(nemoRecordToConversation(checked, { schema: HELPSTEER }).turns).toEqual([
      { role: 'user', text: 'q' },
      { role: 'assistant', text: 'a', attributes: { helpfulness: 2 } },
    ]);
  });

  it('skips invalid records in skip mode and refuses to write one', async () => {
    const lines = [JSON.stringify(record), JSON.stringify({ ...record, mask: 'x' }), '{', JSON.stringify(record)].join('\n');
    const reader = readNemoRecords([lines], { onError: 'skip', file: 'mixed.jsonl' });
    let count = 0;
    for await (const _ of reader) count += 1;
    expect(count).toBe(2);
    expect(reader.report.skipped).toBe(2);
    expect(reader.report.firstErrors.map((error) => [error.line, error.field])).toEqual([
      [2, 'mask'],
      [3, undefined],
    ]);
    const path = join(folder, 'refused.jsonl');
    await expect(writeNemoRecords(path, [record, { ...record, type: 'X' } as unknown as NemoRecord])).rejects.toThrow(/refused\.jsonl:2, field "type"/);
    expect(() => conversationToNemoRecord({ turns: [{ role: 'user', text: 'q', attributes: { quality: 1 } }] })).toThrow(/only assistant turns/);
  });
});
