import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HELPSTEER } from '../attributes';
import { DEFAULT_SYSTEM_PROMPT, type Conversation } from '../prompt-template';
import { nemoRecordToConversation } from './nemo-record';
import {
  conversationToRegressionRecords,
  readRegressionRecords,
  regressionLabelToAttributes,
  validateRegressionRecord,
  type RegressionRecord,
} from './regression-record';
import { writeRegressionRecords } from '../node/record-files';

const folder = await mkdtemp(join(tmpdir(), 'steerlm-regression-'));
afterAll(() => rm(folder, { recursive: true, force: true }));

const conversation: Conversation = {
  turns: [
    { role: 'user', text: 'Hi' },
    { role: 'assistant', text: 'Hello!', attributes: { quality: 4, humor: 1, verbosity: 2 } },
    { role: 'user', text: 'More' },
    { role: 'assistant', text: 'No.' },
    { role: 'user', text: 'Please' },
    { role: 'assistant', text: 'Fine.', attributes: { helpfulness: 3, toxicity: 0 } },
    { role: 'user', text: 'x' },
    { role: 'assistant', text: 'y', attributes: {} },
  ],
};
const system = `<extra_id_0>System\n${DEFAULT_SYSTEM_PROMPT}\n`;

describe('regression records', () => {
  it('renders each labeled assistant turn up to the label prefix, with -100 for unrated attributes', () => {
    expect(conversationToRegressionRecords(conversation)).toEqual([
      { text: `${system}<extra_id_1>User\nHi\n<extra_id_1>Assistant\nHello!\n<extra_id_2>`, label: [4, -100, 1, -100, -100, -100, -100, -100, 2] },
      {
        text: `${system}<extra_id_1>User\nHi\n<extra_id_1>Assistant\nHello!\n<extra_id_1>User\nMore\n<extra_id_1>Assistant\nNo.\n<extra_id_1>User\nPlease\n<extra_id_1>Assistant\nFine.\n<extra_id_2>`,
        label: [-100, 0, -100, -100, 3, -100, -100, -100, -100],
      },
    ]);
  });

  it('matches NeMo-Aligner for a NeMo record and inverts its labels', () => {
    const record = {
      system: 'Be kind.',
      mask: 'User' as const,
      type: 'VALUE_TO_TEXT' as const,
      conversations: [
        { from: 'User' as const, value: 'Q', label: null },
        { from: 'Assistant' as const, value: 'A', label: 'helpfulness:4,correctness:3,coherence:4,complexity:1,verbosity:0' },
      ],
    };
    const [regression] = conversationToRegressionRecords(nemoRecordToConversation(record));
    expect(regression).toEqual({
      text: '<extra_id_0>System\nBe kind.\n<extra_id_1>User\nQ\n<extra_id_1>Assistant\nA\n<extra_id_2>',
      label: [-100, -100, -100, -100, 4, 3, 4, 1, 0],
    });
    expect(regressionLabelToAttributes(regression!.label)).toEqual({ helpfulness: 4, correctness: 3, coherence: 4, complexity: 1, verbosity: 0 });
    const short = conversationToRegressionRecords(nemoRecordToConversation(record, { schema: HELPSTEER }), { schema: HELPSTEER });
    expect(short[0]!.label).toEqual([4, 3, 4, 1, 0]);
  });

  it('round-trips through a file and rejects malformed records with their field', async () => {
    const path = join(folder, 'regression.jsonl');
    const records = conversationToRegressionRecords(conversation);
    expect(await writeRegressionRecords(path, records)).toBe(2);
    const read: RegressionRecord[] = [];
    for await (const { value } of readRegressionRecords(path)) read.push(value);
    expect(read).toEqual(records);
    const good = records[0]!;
    const where = { location: { file: 'r.jsonl', line: 3 } };
    expect(validateRegressionRecord({ ...good, label: [...good.label.slice(0, 8), 3.5] }).label[8]).toBe(3.5);
    expect(() => validateRegressionRecord({ ...good, label: good.label.slice(1) }, where)).toThrow('r.jsonl:3, field "label": expected 9 values');
    expect(() => validateRegressionRecord({ ...good, label: [...good.label.slice(0, 8), 5] }, where)).toThrow(
      /field "label\[8\]": "verbosity" is 5, outside 0\.\.4/,
    );
    expect(() => validateRegressionRecord({ ...good, label: [...good.label.slice(0, 8), '2'] }, where)).toThrow(/field "label\[8\]": expected a number/);
    expect(() => validateRegressionRecord({ ...good, text: 'no prefix' }, where)).toThrow(/field "text": the text must end with the label prefix/);
    expect(() =>
      conversationToRegressionRecords({
        turns: [
          { role: 'user', text: 'q' },
          { role: 'assistant', text: 'a', attributes: { wit: 1 } },
        ],
      }),
    ).toThrow(/^field "turns\[1\]\.attributes\.wit": unknown attribute "wit" \(known attributes: quality,/);
  });
});
