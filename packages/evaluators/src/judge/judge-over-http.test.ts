import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAICompatibleChat, type ProgressEvent } from '@steerlm/core';
import { createScriptedModel, startTestServer, type TestServer } from '@steerlm/test-server';
import { eloRatings } from '../elo';
import { scoreAgainstBaseline } from './baseline-score-ratio';
import type { ChatFunction } from './chat-function';
import { compareAnswerPairs, summarizePairwise } from './pairwise-comparison';
import { gradeAnswers, summarizeGrades } from './single-answer-grading';

const singlePattern = /\[The assistant's answer\]\n([\s\S]*?)\n\[End of the assistant's answer\]/;
const pairPattern =
  /\[Assistant A's answer\]\n([\s\S]*?)\n\[End of Assistant A's answer\][\s\S]*\[Assistant B's answer\]\n([\s\S]*?)\n\[End of Assistant B's answer\]/;

/** A scripted judge: rates by word count, prefers the longer answer, and misbehaves on marker words. */
const judge = createScriptedModel({
  modelId: 'scripted-judge',
  rules: [
    {
      when: singlePattern,
      reply: (_prompt, match) => {
        const answer = match![1]!;
        if (answer.includes('GARBLE')) return 'This answer is hard to judge; I will not give a number.';
        if (answer.includes('OVERFLOW')) return 'Superb beyond measure. Rating: [[11]]';
        const words = answer.split(/\s+/).filter(Boolean).length;
        return `At first glance [[2]] seemed fair, but on reflection the answer has ${words} words.\nrating:  [[ ${Math.min(10, words)} ]]`;
      },
    },
    {
      when: pairPattern,
      reply: (_prompt, match) => {
        const [first, second] = [match![1]!, match![2]!];
        if (first.includes('GARBLE') || second.includes('GARBLE')) return 'Both are fine, I suppose.';
        if (first.includes('POSITION') || second.includes('POSITION')) return 'The first one reads better. [[A]]';
        if (first.length === second.length) return 'Equally good. [[C]]';
        return first.length > second.length ? 'Assistant A is more thorough. [[a]]' : 'Assistant B is more thorough.\n[[B]]';
      },
    },
  ],
});

let server: TestServer;
let chat: ChatFunction;

beforeAll(async () => {
  server = await startTestServer({ model: judge });
  const client = createOpenAICompatibleChat({
    baseURL: server.url,
    model: 'scripted-judge',
    concurrency: 4,
    timeoutMs: 400,
    retries: 3,
    backoff: { initialDelayMs: 10, maxDelayMs: 50 },
  });
  chat = (messages) => client.chat(messages, { maxTokens: 1024, temperature: 0 });
});

afterAll(async () => {
  await server?.close();
});

describe('LLM-as-judge over the test server HTTP chat endpoint', () => {
  it('grades answers 1–10, reading the last verdict, and counts unparseable replies', async () => {
    const events: ProgressEvent[] = [];
    const results = await gradeAnswers(
      [
        { model: 'm1', question: 'Name a colour.', answer: 'Blue.' },
        { model: 'm1', question: 'Why is the sky blue?', answer: 'Rayleigh scattering favours short wavelengths of sunlight in air.' },
        { model: 'm2', question: 'Name a colour.', answer: 'GARBLE' },
        { model: 'm2', question: 'Why is the sky blue?', answer: 'OVERFLOW' },
      ],
      { chat, onProgress: (event) => events.push(event) },
    );
    expect(results.map((result) => result.score)).toEqual([1, 9, null, null]);
    expect(results.map((result) => result.unparseable)).toEqual([null, null, 'no-verdict', 'out-of-range']);
    const summaries = summarizeGrades(results);
    expect(summaries).toMatchObject([
      { model: 'm1', graded: 2, unparseable: 0, meanScore: 5 },
      { model: 'm2', graded: 2, unparseable: 2, meanScore: null },
    ]);
    expect(summaries[0]!.distribution).toMatchObject({ '1': 1, '9': 1, '5': 0 });
    expect(events.filter((event) => event.type === 'step-end')).toHaveLength(4);
    expect(events.at(-1)).toMatchObject({ type: 'job-end', summary: { unparseable: 2 } });
  });

  it('judges pairs in both orders: agreement wins, disagreement is a counted tie, no verdict is counted', async () => {
    const results = await compareAnswerPairs(
      [
        { id: 'long-vs-short', question: 'q1', modelA: 'long', answerA: 'A long, detailed answer.', modelB: 'short', answerB: 'Short.' },
        { id: 'short-vs-long', question: 'q2', modelA: 'short', answerA: 'Tiny.', modelB: 'long', answerB: 'A much longer answer here.' },
        { id: 'equal', question: 'q3', modelA: 'long', answerA: 'same', modelB: 'short', answerB: 'SAME' },
        { id: 'position-biased', question: 'q4', modelA: 'long', answerA: 'POSITION bias', modelB: 'short', answerB: 'x' },
        { id: 'garbled', question: 'q5', modelA: 'long', answerA: 'GARBLE', modelB: 'short', answerB: 'y' },
      ],
      { chat, concurrency: 4 },
    );
    expect(results.map((result) => result.winner)).toEqual(['A', 'B', 'tie', 'tie', null]);
    expect(results[3]).toMatchObject({ consistent: false, unparseable: false });
    expect(results[3]!.orders.map((order) => order.winner)).toEqual(['A', 'B']);
    expect(results[4]).toMatchObject({ unparseable: true, consistent: false });
    const summary = summarizePairwise(results);
    expect(summary).toMatchObject({ comparisons: 5, decided: 4, winsA: 1, winsB: 1, ties: 2, inconsistent: 1, unparseable: 1, unparseableReplies: 2 });
    expect(summary.battles).toContainEqual({ modelA: 'short', modelB: 'long', winner: 'B' });
    const elo = eloRatings(summary.battles, { orderings: 1000, bootstrapRounds: 50 });
    expect(elo.ratings[0]!.model).toBe('long');
  });

  it('reports the candidate as % of the baseline score, leaving out unparseable questions', async () => {
    const ratio = await scoreAgainstBaseline(
      {
        questions: ['q1', 'q2', 'q3'],
        candidate: { model: 'steered', answers: ['one two three four', 'one two', 'GARBLE'] },
        baseline: { model: 'baseline', answers: ['one two', 'one two three four five six', 'one'] },
      },
      { chat },
    );
    // Scores: candidate 4, 2 (q3 unparseable); baseline 2, 6 → (4 + 2) / (2 + 6).
    expect(ratio).toMatchObject({ candidateSum: 6, baselineSum: 8, pairs: 2, excluded: 1, candidate: 'steered', baseline: 'baseline' });
    expect(ratio.percent).toBeCloseTo(75, 10);
  });

  it('survives injected 429, 500 and a response slower than the timeout (the client retries)', async () => {
    const before = server.stats.faultsInjected;
    server.faults.failNext(1, 429, 0).failNext(1, 500).delayNext(1, 1500);
    const results = await gradeAnswers([{ model: 'm', question: 'q', answer: 'three words here' }], { chat, concurrency: 1 });
    expect(results[0]!.score).toBe(3);
    expect(server.stats.faultsInjected - before).toBe(3);
    expect(server.stats.byStatus[429]).toBeGreaterThanOrEqual(1);
    expect(server.stats.byStatus[500]).toBeGreaterThanOrEqual(1);
  });

  it('propagates a RemoteError when the judge keeps failing', async () => {
    server.faults.failNext(4, 503);
    await expect(gradeAnswers([{ question: 'q', answer: 'a' }], { chat })).rejects.toMatchObject({ name: 'RemoteError', status: 503 });
  });
});
