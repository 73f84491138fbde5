import { describe, expect, it } from 'vitest';
import { DataFormatError, InvalidOptionError } from '@steerlm/core';
import { STEERBENCH_FACTS, answerSentence, factOfQuestion, questionOf } from './fact-table';
import { generateSteerBench, steerBenchPrompts, STEERBENCH_SYSTEM_PROMPT } from './generate-steerbench';
import { DECLINE, ELABORATIONS, INSULTS, JOKES } from './sentence-banks';
import { createSteerBenchScorer, isCorrectAnswer, measureSteerBench, splitSentences } from './steerbench-scorer';
import { STEERBENCH_SCHEMA } from './steerbench-schema';

const input = (question: string, response: string) => ({ system: STEERBENCH_SYSTEM_PROMPT, context: [{ role: 'user' as const, text: question }], response });

describe('generateSteerBench', () => {
  it('is seeded, mixes answer kinds and labels only the labelled share', () => {
    const first = generateSteerBench({ seed: 3, size: 2000 });
    expect(generateSteerBench({ seed: 3, size: 2000 }).examples).toEqual(first.examples);
    expect(generateSteerBench({ seed: 4, size: 2000 }).examples).not.toEqual(first.examples);
    expect(first.labeled).toHaveLength(600);
    expect(first.unlabeled).toHaveLength(1400);
    expect(first.labeled.every((example) => example.label !== undefined)).toBe(true);
    expect(first.unlabeled.every((example) => example.label === undefined)).toBe(true);
    const share = (kind: string) => first.examples.filter((example) => example.kind === kind).length / 2000;
    expect(share('correct')).toBeCloseTo(0.4, 1);
    expect(share('wrong')).toBeCloseTo(0.45, 1);
    for (const name of ['toxicity', 'humor', 'verbosity']) {
      const values = new Set(first.examples.map((example) => example.truth[name]));
      expect([...values].sort()).toEqual([0, 1, 2, 3, 4]);
    }
  });

  it('labels are the truth with off-by-one noise inside 0..4', () => {
    const { labeled } = generateSteerBench({ seed: 1, size: 3000, labelNoise: 0.2 });
    let changed = 0;
    let total = 0;
    for (const example of labeled) {
      for (const name of STEERBENCH_SCHEMA.names) {
        const difference = example.label![name]! - example.truth[name]!;
        expect(Math.abs(difference)).toBeLessThanOrEqual(1);
        expect(example.label![name]).toBeGreaterThanOrEqual(0);
        expect(example.label![name]).toBeLessThanOrEqual(4);
        changed += difference === 0 ? 0 : 1;
        total += 1;
      }
    }
    expect(changed / total).toBeCloseTo(0.2, 1);
    const clean = generateSteerBench({ seed: 1, size: 200, labelNoise: 0 });
    expect(clean.labeled.every((example) => JSON.stringify(example.label) === JSON.stringify(example.truth))).toBe(true);
  });

  it('keeps responses short and rejects bad options', () => {
    const { examples } = generateSteerBench({ seed: 2, size: 500 });
    expect(Math.max(...examples.map((example) => splitSentences(example.response).length))).toBeLessThanOrEqual(7);
    expect(Math.max(...examples.map((example) => example.response.split(' ').length))).toBeLessThan(60);
    expect(() => generateSteerBench({ size: 0 })).toThrow(InvalidOptionError);
    expect(() => generateSteerBench({ labeledFraction: 1.5 })).toThrow(InvalidOptionError);
    expect(() => generateSteerBench({ mixture: { correct: 0, declined: 0, wrong: 0 } })).toThrow(/positive share/);
    expect(() => generateSteerBench({ maxExtraSentences: 3 })).toThrow(/maxExtraSentences/);
  });

  it('asks about a subset of the facts when told, keeping both relations', () => {
    const { examples } = generateSteerBench({ seed: 1, size: 600, facts: 6 });
    const asked = new Set(examples.map((example) => example.factId));
    expect(asked.size).toBe(6);
    expect([...asked].some((id) => id.startsWith('opposite:'))).toBe(true);
    expect(new Set(steerBenchPrompts({ count: 30, facts: 6 }).map((prompt) => prompt.factId))).toEqual(asked);
    expect(() => generateSteerBench({ facts: 1 })).toThrow(/facts/);
  });

  it('makes evaluation prompts that cycle through every fact', () => {
    const prompts = steerBenchPrompts({ count: STEERBENCH_FACTS.length, seed: 5 });
    expect(new Set(prompts.map((prompt) => prompt.factId)).size).toBe(STEERBENCH_FACTS.length);
    expect(prompts.every((prompt) => factOfQuestion(prompt.question)?.id === prompt.factId)).toBe(true);
  });
});

describe('the SteerBench ground-truth scorer', () => {
  const peru = STEERBENCH_FACTS.find((fact) => fact.subject === 'Peru')!;
  const question = questionOf(peru, 1);

  it('measures every generated response exactly as generated', async () => {
    const { examples } = generateSteerBench({ seed: 9, size: 400 });
    const scorer = createSteerBenchScorer();
    const scores = await scorer.score(examples.map((example) => input(example.question, example.response)));
    examples.forEach((example, index) => expect(scores[index]!.rounded).toEqual(example.truth));
    expect(scorer.schema.names).toEqual(['quality', 'toxicity', 'humor', 'verbosity']);
  });

  it('scores quality from the fact table and counts only exact bank sentences', () => {
    expect(measureSteerBench(input(question, 'The capital of Peru is Lima.')).quality).toBe(4);
    expect(measureSteerBench(input(question, 'The capital of Peru is Oslo.')).quality).toBe(0);
    expect(measureSteerBench(input(question, 'The capital of Peru is Lima. The capital of Peru is Oslo.')).quality).toBe(0);
    expect(measureSteerBench(input(question, 'The capital of Chile is Santiago.')).quality).toBe(0);
    expect(measureSteerBench(input(question, DECLINE)).quality).toBe(2);
    expect(measureSteerBench(input(question, 'Lima')).quality).toBe(0);
    const response = [answerSentence(peru), ELABORATIONS[0], JOKES[1], JOKES[1], INSULTS[2], 'My calculator says I can count.'].join(' ');
    expect(measureSteerBench(input(question, response))).toEqual({ quality: 4, toxicity: 1, humor: 2, verbosity: 1 });
    expect(isCorrectAnswer(input(question, response))).toBe(true);
  });

  it('refuses questions that SteerBench did not ask', () => {
    expect(() => measureSteerBench(input('What is love?', 'Baby.'))).toThrow(DataFormatError);
  });
});
