import type { ChatMessage } from '@steerlm/core';

/** The lowest and highest rating of single-answer grading. */
export const RATING_RANGE = Object.freeze({ min: 1, max: 10 });

const singleAnswerSystem = [
  'You are a careful, impartial evaluator of answers written by AI assistants.',
  'Judge how well the answer serves the person who asked: is it helpful, relevant, correct, deep enough,',
  'clear, and appropriately detailed? Length alone is not a merit. If a reference answer is given, use it',
  'to check correctness. Explain your judgement briefly and objectively, then rate the answer.',
].join(' ');

const pairwiseSystem = [
  'You are a careful, impartial evaluator comparing two answers written by AI assistants to the same question.',
  'Decide which answer serves the person who asked better: more helpful, relevant, correct, deep, clear and',
  "appropriately detailed. The order in which the answers appear, their length and the assistants' names must",
  'not influence you. If a reference answer is given, use it to check correctness. Explain your comparison',
  'briefly and objectively, then give your verdict.',
].join(' ');

function referenceBlock(reference: string | undefined): string {
  return reference === undefined ? '' : `[Reference answer]\n${reference}\n[End of reference answer]\n\n`;
}

/** Returns the chat messages asking a judge to rate one answer from 1 to 10 with `Rating: [[n]]`. */
export function singleAnswerGradingMessages(input: { question: string; answer: string; reference?: string }): ChatMessage[] {
  const user =
    `[Question]\n${input.question}\n[End of question]\n\n` +
    referenceBlock(input.reference) +
    `[The assistant's answer]\n${input.answer}\n[End of the assistant's answer]\n\n` +
    `Write a short justification first. Then, on the last line, rate the answer with a whole number from ` +
    `${RATING_RANGE.min} (useless) to ${RATING_RANGE.max} (excellent) in exactly this form: Rating: [[n]] — for example: Rating: [[6]]`;
  return [
    { role: 'system', content: singleAnswerSystem },
    { role: 'user', content: user },
  ];
}

/** Returns the chat messages asking a judge to compare answers A and B with `[[A]]`, `[[B]]` or `[[C]]` (tie). */
export function pairwiseComparisonMessages(input: { question: string; answerA: string; answerB: string; reference?: string }): ChatMessage[] {
  const user =
    `[Question]\n${input.question}\n[End of question]\n\n` +
    referenceBlock(input.reference) +
    `[Assistant A's answer]\n${input.answerA}\n[End of Assistant A's answer]\n\n` +
    `[Assistant B's answer]\n${input.answerB}\n[End of Assistant B's answer]\n\n` +
    `Write a short comparison first. Then, on the last line, give your verdict in exactly one of these forms: ` +
    `[[A]] if Assistant A's answer is better, [[B]] if Assistant B's answer is better, [[C]] if they are equally good.`;
  return [
    { role: 'system', content: pairwiseSystem },
    { role: 'user', content: user },
  ];
}
