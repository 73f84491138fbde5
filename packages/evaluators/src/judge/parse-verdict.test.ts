import { describe, expect, it } from 'vitest';
import { parsePairwiseVerdict, parseRating } from './parse-verdict';
import { pairwiseComparisonMessages, singleAnswerGradingMessages } from './judge-prompts';

describe('parseRating', () => {
  it.each([
    ['The answer is fine.\nRating: [[7]]', 7],
    ['rating:[[ 8 ]]', 8],
    ['RATING :  [[10]]  ', 10],
    ['Rating: [[6.5]]', 6.5],
    ['I first thought [[3]] but on reflection Rating: [[5]]', 5],
    ['Explanation… [[9]]', 9],
  ])('reads %j as %d', (reply, expected) => {
    expect(parseRating(reply)).toEqual({ ok: true, value: expected });
  });

  it('rejects out-of-range verdicts and counts missing ones, never guessing', () => {
    expect(parseRating('Rating: [[11]]')).toEqual({ ok: false, reason: 'out-of-range', found: '[[11]]' });
    expect(parseRating('Rating: [[0]]')).toMatchObject({ ok: false, reason: 'out-of-range' });
    expect(parseRating('Rating: [[5]] ... final Rating: [[42]]')).toMatchObject({ ok: false, reason: 'out-of-range' });
    expect(parseRating('I would give it a 7 out of 10.')).toEqual({ ok: false, reason: 'no-verdict' });
    expect(parseRating('Rating: [7]')).toEqual({ ok: false, reason: 'no-verdict' });
    expect(parseRating('Rating: [[seven]]')).toEqual({ ok: false, reason: 'no-verdict' });
    expect(parseRating('')).toEqual({ ok: false, reason: 'no-verdict' });
  });
});

describe('parsePairwiseVerdict', () => {
  it.each([
    ['A is clearer. [[A]]', 'A'],
    ['[[ b ]]', 'B'],
    ['They are equal. [[C]]', 'tie'],
    ['[[Tie]]', 'tie'],
    ['Not [[A]] after all: final verdict [[B]]', 'B'],
  ])('reads %j as %s', (reply, expected) => {
    expect(parsePairwiseVerdict(reply)).toEqual({ ok: true, value: expected });
  });

  it('counts replies without a verdict', () => {
    expect(parsePairwiseVerdict('Assistant A is better.')).toEqual({ ok: false, reason: 'no-verdict' });
    expect(parsePairwiseVerdict('[[D]]')).toEqual({ ok: false, reason: 'no-verdict' });
  });
});

describe('judge prompts', () => {
  it('include the question, answers, optional reference and the verdict format', () => {
    const single = singleAnswerGradingMessages({ question: 'Q?', answer: 'Ans', reference: 'Ref' });
    expect(single.map((message) => message.role)).toEqual(['system', 'user']);
    expect(single[1]!.content).toContain('Q?');
    expect(single[1]!.content).toContain('Ans');
    expect(single[1]!.content).toContain('[Reference answer]\nRef');
    expect(single[1]!.content).toContain('Rating: [[n]]');
    const pair = pairwiseComparisonMessages({ question: 'Q?', answerA: 'first', answerB: 'second' });
    expect(pair[1]!.content).toMatch(/\[Assistant A's answer\]\nfirst[\s\S]*\[Assistant B's answer\]\nsecond/);
    expect(pair[1]!.content).toContain('[[C]]');
    expect(pair[1]!.content).not.toContain('[Reference answer]');
  });
});
