import { describe, expect, it } from 'vitest';
import { DataFormatError } from '../errors';
import { DEFAULT_SYSTEM_PROMPT, steerlmTemplate } from '../prompt-template';
import { helpSteerRowToConversation, readHelpSteerConversations, splitHelpSteerPrompt, validateHelpSteerRow } from './helpsteer';

const ratings = { helpfulness: 3, correctness: 4, coherence: 4, complexity: 1, verbosity: 2 };

describe('HelpSteer rows', () => {
  it('turns a single-turn row into a user turn and a labeled response', () => {
    const row = validateHelpSteerRow({ prompt: 'What is 2+2?\n', response: '4', ...ratings, extra: 'ignored' });
    expect(helpSteerRowToConversation(row)).toEqual({
      turns: [
        { role: 'user', text: 'What is 2+2?\n' },
        { role: 'assistant', text: '4', attributes: ratings },
      ],
    });
  });

  it('splits a HelpSteer2 multi-turn prompt into alternating turns', () => {
    const prompt =
      'c#\n<extra_id_1>Assistant\nC# is a language.\n\nIt runs on .NET.\n<extra_id_1>User\nhow to use it\n<extra_id_1>Assistant\n\n<extra_id_1>User\nthanks';
    expect(splitHelpSteerPrompt(prompt)).toEqual([
      { role: 'user', text: 'c#' },
      { role: 'assistant', text: 'C# is a language.\n\nIt runs on .NET.' },
      { role: 'user', text: 'how to use it' },
      { role: 'assistant', text: '' },
      { role: 'user', text: 'thanks' },
    ]);
    const conversation = helpSteerRowToConversation({ prompt, response: 'You are welcome.', ...ratings }, { system: 'S' });
    expect(conversation.system).toBe('S');
    expect(conversation.turns.map((turn) => turn.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
    expect(conversation.turns[5]).toEqual({ role: 'assistant', text: 'You are welcome.', attributes: ratings });
  });

  it('keeps the earlier assistant turns of a multi-turn prompt as context, as NeMo (issue 13, finding 6)', () => {
    // NeMo-Aligner's preprocess_helpsteer2_data.py writes the whole prompt as one User turn: rendered, it is
    // the same text as the split turns, and all of it is masked. Split turns carry train: false instead.
    const prompt = 'u1\n<extra_id_1>Assistant\na1\n<extra_id_1>User\nu2';
    const conversation = helpSteerRowToConversation({ prompt, response: 'r', ...ratings });
    expect(conversation.turns.map((turn) => turn.train)).toEqual([undefined, false, undefined, undefined]);
    expect(steerlmTemplate.render(conversation)).toBe(
      `<extra_id_0>System\n${DEFAULT_SYSTEM_PROMPT}\n<extra_id_1>User\n${prompt}\n<extra_id_1>Assistant\n<extra_id_2>helpfulness:${ratings.helpfulness},correctness:${ratings.correctness},coherence:${ratings.coherence},complexity:${ratings.complexity},verbosity:${ratings.verbosity}\nr\n`,
    );
    expect(helpSteerRowToConversation({ prompt, response: 'r', ...ratings }, { promptTurns: 'trained' }).turns[1]).toEqual({ role: 'assistant', text: 'a1' });
  });

  it('rejects prompts whose speakers do not alternate or end on the assistant', () => {
    const where = { file: 'hs2.jsonl', line: 4 };
    expect(() => splitHelpSteerPrompt('a\n<extra_id_1>User\nb', where)).toThrow('hs2.jsonl:4, field "prompt": turn 2 of the prompt is spoken by User');
    expect(() => splitHelpSteerPrompt('a\n<extra_id_1>Bot\nb', where)).toThrow(/starts with "Bot"/);
    expect(() => splitHelpSteerPrompt('a\n<extra_id_1>Assistant\nb', where)).toThrow(/must end with a user turn/);
  });

  it('names each bad rating and streams conversations with located errors', async () => {
    expect(() => validateHelpSteerRow({ prompt: 'p', response: 'r', ...ratings, verbosity: 5 })).toThrow(
      /field "verbosity": expected an integer from 0 to 4, got 5/,
    );
    expect(() => validateHelpSteerRow({ prompt: 'p', response: 'r', ...ratings, coherence: '4' })).toThrow(/field "coherence".*got string/);
    expect(() => validateHelpSteerRow({ prompt: 'p', ...ratings })).toThrow(/field "response": expected a string, got nothing/);
    const lines = [
      JSON.stringify({ prompt: 'p1', response: 'r1', ...ratings }),
      JSON.stringify({ prompt: 'p2\n<extra_id_1>User\nx', response: 'r2', ...ratings }),
      JSON.stringify({ prompt: 'p3', response: 'r3', ...ratings, helpfulness: 2.5 }),
      JSON.stringify({ prompt: 'p4\n<extra_id_1>Assistant\na\n<extra_id_1>User\nq', response: 'r4', ...ratings }),
    ].join('\n');
    const reader = readHelpSteerConversations([lines], { onError: 'skip', file: 'hs2.jsonl' });
    const texts: string[] = [];
    for await (const { value } of reader) texts.push(value.turns.map((turn) => turn.text).join('|'));
    expect(texts).toEqual(['p1|r1', 'p4|a|q|r4']);
    expect(reader.report.firstErrors.map((error) => [error.line, error.field])).toEqual([
      [2, 'prompt'],
      [3, 'helpfulness'],
    ]);
    expect(reader.report.firstErrors.every((error) => DataFormatError.isInstance(error))).toBe(true);
  });
});
