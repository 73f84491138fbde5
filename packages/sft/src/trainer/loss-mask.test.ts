import { describe, expect, it } from 'vitest';
import { charTokenizer, chatmlTemplate, steerlmTemplate, type Conversation } from '@steerlm/core';
import { maskedSegments, tokenizeConversation, type TokenizedExample } from './loss-mask';

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
    const example = tokenizeConversation(
      {
        system: 'S',
        turns: [
          { role: 'user', text: 'a' },
          { role: 'assistant', text: 'b' },
        ],
      },
      tokenizer,
    )!;
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

  it("ChatML: trains the response and its <|im_end|>, from the template's segments", () => {
    const example = tokenizeConversation(multi, tokenizer, { template: chatmlTemplate })!;
    expect(tokenizer.decode(example.ids)).toBe(chatmlTemplate.render(multi));
    expect(trainedSpans(example)).toEqual(['A1<|im_end|>', 'A2<|im_end|>']);
  });

  it('TEXT_TO_VALUE trains the label value and the stop; train: false turns are context', () => {
    const rating: Conversation = { ...multi, placement: 'TEXT_TO_VALUE' };
    expect(trainedSpans(tokenizeConversation(rating, tokenizer)!)).toEqual(['quality:2\n<extra_id_1>', 'quality:4\n<extra_id_1>']);
    const context: Conversation = { ...multi, turns: multi.turns.map((turn, index) => (index === 1 ? { ...turn, train: false } : turn)) };
    expect(trainedSpans(tokenizeConversation(context, tokenizer)!)).toEqual(['A2\n<extra_id_1>']);
  });

  it('the masked segments concatenate to render() plus the stop after a trained last turn', () => {
    for (const template of [steerlmTemplate, chatmlTemplate]) {
      const text = maskedSegments(multi, { template })
        .map((segment) => segment.text)
        .join('');
      expect(text).toBe(template.render(multi) + (template === steerlmTemplate ? '<extra_id_1>' : ''));
    }
  });

  it('returns undefined when nothing is left to train', () => {
    expect(tokenizeConversation({ turns: [{ role: 'user', text: 'only a prompt' }] }, tokenizer)).toBeUndefined();
    expect(tokenizeConversation(single, tokenizer, { maxSequenceLength: 10 })).toBeUndefined();
  });
});
