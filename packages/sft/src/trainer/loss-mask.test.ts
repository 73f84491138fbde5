import { describe, expect, it } from 'vitest';
import { charTokenizer, type Conversation } from '@steerlm/core';
import { tokenizeConversation, type TokenizedExample } from './loss-mask';

const tokenizer = charTokenizer();

/** Returns the trained text spans of an example, contiguous trained tokens joined. */
function trainedSpans(example: TokenizedExample): string[] {
  const spans: string[] = [];
  let current: number[] = [];
  example.ids.forEach((id, index) => {
    if (example.trained[index]) current.push(id);
    else if (current.length > 0) {
      spans.push(tokenizer.decode(current));
      current = [];
    }
  });
  if (current.length > 0) spans.push(tokenizer.decode(current));
  return spans;
}

const single: Conversation = {
  system: 'S',
  turns: [
    { role: 'user', text: 'Hi?' },
    { role: 'assistant', text: 'Hello!', attributes: { quality: 4, humor: 1 } },
  ],
};

const multi: Conversation = {
  system: 'S',
  turns: [
    { role: 'user', text: 'Q1' },
    { role: 'assistant', text: 'A1', attributes: { quality: 2 } },
    { role: 'user', text: 'Q2' },
    { role: 'assistant', text: 'A2', attributes: { quality: 4 } },
  ],
};

describe('NeMo-exact loss masking', () => {
  it('single turn: trains the response, its newline and the appended <extra_id_1>; masks the rest', () => {
    const example = tokenizeConversation(single, tokenizer)!;
    expect(tokenizer.decode(example.ids)).toBe(
      '<extra_id_0>System\nS\n<extra_id_1>User\nHi?\n<extra_id_1>Assistant\n<extra_id_2>quality:4,humor:1\nHello!\n<extra_id_1>',
    );
    expect(trainedSpans(example)).toEqual(['Hello!\n<extra_id_1>']);
    expect(example.labels).toEqual([{ quality: 4, humor: 1 }]);
  });

  it('multi-turn: every assistant response and the <extra_id_1> after it', () => {
    const example = tokenizeConversation(multi, tokenizer)!;
    expect(trainedSpans(example)).toEqual(['A1\n<extra_id_1>', 'A2\n<extra_id_1>']);
    const lastOnly = tokenizeConversation(multi, tokenizer, { multiTurn: false })!;
    expect(trainedSpans(lastOnly)).toEqual(['A2\n<extra_id_1>']);
  });

  it('no label: plain SFT turn, still trained', () => {
    const example = tokenizeConversation({ system: 'S', turns: [{ role: 'user', text: 'a' }, { role: 'assistant', text: 'b' }] }, tokenizer)!;
    expect(tokenizer.decode(example.ids)).toBe('<extra_id_0>System\nS\n<extra_id_1>User\na\n<extra_id_1>Assistant\nb\n<extra_id_1>');
    expect(trainedSpans(example)).toEqual(['b\n<extra_id_1>']);
  });

  it('truncation that cuts a label line masks that whole turn; other turns stay trained', () => {
    const full = tokenizeConversation(multi, tokenizer)!;
    const text = tokenizer.decode(full.ids);
    // Left truncation that starts inside the first label line "<extra_id_2>quality:2\n".
    const tokensBefore = (marker: string) => tokenizer.encode(text.slice(0, text.indexOf(marker))).length;
    const cut = tokensBefore('ality:2');
    const left = tokenizeConversation(multi, tokenizer, { maxSequenceLength: full.ids.length - cut, truncationSide: 'left' })!;
    expect(tokenizer.decode(left.ids).startsWith('ality:2\nA1\n')).toBe(true);
    expect(trainedSpans(left)).toEqual(['A2\n<extra_id_1>']);
    // Right truncation inside the last label: that turn's response is gone, the first stays.
    const right = tokenizeConversation(multi, tokenizer, { maxSequenceLength: tokensBefore('quality:4') + 3, truncationSide: 'right' })!;
    expect(trainedSpans(right)).toEqual(['A1\n<extra_id_1>']);
  });

  it('returns undefined when nothing is left to train', () => {
    expect(tokenizeConversation({ turns: [{ role: 'user', text: 'only a prompt' }] }, tokenizer)).toBeUndefined();
    expect(tokenizeConversation(single, tokenizer, { maxSequenceLength: 10 })).toBeUndefined();
  });
});
