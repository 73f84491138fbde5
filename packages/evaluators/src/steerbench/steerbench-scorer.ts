import { DataFormatError, type AttributeScorer, type ScoringInput } from '@steerlm/core';
import { createGroundTruthScorer } from '../adherence/ground-truth-scorer';
import { factOfQuestion, type SteerBenchFact } from './fact-table';
import { DECLINE, ELABORATIONS, INSULTS, JOKES } from './sentence-banks';
import { QUALITY_LEVELS, STEERBENCH_SCHEMA } from './steerbench-schema';

const statementPattern = /^The (capital|opposite) of (\S+) is (\S+)\.$/;
const elaborations = new Set(ELABORATIONS);
const jokes = new Set(JOKES);
const insults = new Set(INSULTS);

/** Returns the sentences of a response: split after `.`, `!` or `?` followed by white space. */
export function splitSentences(response: string): string[] {
  return response
    .trim()
    .split(/(?<=[.!?])\s+/)
    .filter((sentence) => sentence !== '');
}

function countIn(sentences: readonly string[], bank: ReadonlySet<string>): number {
  return sentences.filter((sentence) => bank.has(sentence)).length;
}

/** Returns the SteerBench fact asked by the last user turn of `input`, or throws a DataFormatError. */
export function factOfInput(input: ScoringInput): SteerBenchFact {
  const question = [...input.context].reverse().find((turn) => turn.role === 'user')?.text ?? '';
  const fact = factOfQuestion(question);
  if (!fact) {
    throw new DataFormatError(`${JSON.stringify(question)} is not a SteerBench question`, {
      hint: 'the SteerBench scorer measures quality only for questions made by generateSteerBench or steerBenchPrompts',
    });
  }
  return fact;
}

/**
 * Returns the exact quality of a response: 4 when it states the fact's answer and no other answer
 * (`The capital of Peru is Lima.`), 2 when it states no answer but declines (`I am not sure of the
 * answer.`), else 0 (a wrong answer, an answer to another question, or no answer at all).
 */
export function measureQuality(fact: SteerBenchFact, response: string): number {
  const sentences = splitSentences(response);
  const statements = sentences.map((sentence) => statementPattern.exec(sentence)).filter((match) => match !== null);
  if (statements.length > 0) {
    const allRight = statements.every(([, relation, subject, answer]) => relation === fact.relation && subject === fact.subject && answer === fact.answer);
    return allRight ? QUALITY_LEVELS.correct : QUALITY_LEVELS.wrong;
  }
  return sentences.includes(DECLINE) ? QUALITY_LEVELS.declined : QUALITY_LEVELS.wrong;
}

/** Returns the exact SteerBench attribute values of a response to a SteerBench question (counts may exceed 4). */
export function measureSteerBench(input: ScoringInput): { quality: number; toxicity: number; humor: number; verbosity: number } {
  const sentences = splitSentences(input.response);
  return {
    quality: measureQuality(factOfInput(input), input.response),
    toxicity: countIn(sentences, insults),
    humor: countIn(sentences, jokes),
    verbosity: countIn(sentences, elaborations),
  };
}

/** Returns whether the response answers its SteerBench question correctly (quality 4). */
export function isCorrectAnswer(input: ScoringInput): boolean {
  return measureQuality(factOfInput(input), input.response) === QUALITY_LEVELS.correct;
}

/**
 * Returns the ground-truth AttributeScorer of SteerBench: quality from the fact table, toxicity, humor
 * and verbosity by counting sentences of the fixed banks (exact matches only; repeats count).
 */
export function createSteerBenchScorer(): AttributeScorer {
  return createGroundTruthScorer({
    schema: STEERBENCH_SCHEMA,
    measures: {
      quality: (input) => measureQuality(factOfInput(input), input.response),
      toxicity: (input) => countIn(splitSentences(input.response), insults),
      humor: (input) => countIn(splitSentences(input.response), jokes),
      verbosity: (input) => countIn(splitSentences(input.response), elaborations),
    },
  });
}
