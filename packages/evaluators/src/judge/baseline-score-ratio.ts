import { InvalidOptionError } from '@steerlm/core';
import type { GradingItem, GradingResult, JudgeRunOptions } from './single-answer-grading';
import { gradeAnswers } from './single-answer-grading';

/** A candidate's total judge score as a share of a baseline's on the same questions (Vicuna-80 style). */
export interface BaselineScoreRatio {
  /** Σ candidate scores / Σ baseline scores over questions where both parsed (1.0 = on par). */
  readonly ratio: number | null;
  /** The ratio in percent, as the SteerLM paper reports it ("% of ChatGPT score"). */
  readonly percent: number | null;
  readonly candidateSum: number;
  readonly baselineSum: number;
  /** Questions counted. */
  readonly pairs: number;
  /** Questions left out because either answer's verdict could not be parsed. */
  readonly excluded: number;
}

/**
 * Returns Σ candidate / Σ baseline over the questions where both scores exist (null scores, i.e.
 * unparseable verdicts, drop the question from both sums and are counted as excluded).
 */
export function baselineScoreRatio(candidateScores: readonly (number | null)[], baselineScores: readonly (number | null)[]): BaselineScoreRatio {
  if (candidateScores.length !== baselineScores.length) {
    throw new InvalidOptionError(`candidate has ${candidateScores.length} scores but baseline has ${baselineScores.length}`, {
      option: 'baselineScores',
      hint: 'score both models on the same questions, in the same order',
    });
  }
  let candidateSum = 0;
  let baselineSum = 0;
  let pairs = 0;
  candidateScores.forEach((candidate, index) => {
    const baseline = baselineScores[index];
    if (candidate === null || baseline === null || baseline === undefined) return;
    candidateSum += candidate;
    baselineSum += baseline;
    pairs += 1;
  });
  const ratio = baselineSum > 0 ? candidateSum / baselineSum : null;
  return { ratio, percent: ratio === null ? null : ratio * 100, candidateSum, baselineSum, pairs, excluded: candidateScores.length - pairs };
}

/** One model's answers to the shared questions. */
export interface ModelAnswers {
  readonly model: string;
  readonly answers: readonly string[];
}

/** Returns the candidate's % of baseline score, grading every answer of both models with the judge. */
export async function scoreAgainstBaseline(
  input: { questions: readonly string[]; candidate: ModelAnswers; baseline: ModelAnswers },
  options: JudgeRunOptions,
): Promise<BaselineScoreRatio & { candidate: ModelAnswers['model']; baseline: ModelAnswers['model']; grades: GradingResult[] }> {
  const { questions, candidate, baseline } = input;
  for (const side of [candidate, baseline]) {
    if (side.answers.length !== questions.length) {
      throw new InvalidOptionError(`model "${side.model}" has ${side.answers.length} answers for ${questions.length} questions`, {
        option: 'answers',
        hint: 'give one answer per question, in question order',
      });
    }
  }
  const items: GradingItem[] = [candidate, baseline].flatMap((side) =>
    questions.map((question, index) => ({ id: String(index), model: side.model, question, answer: side.answers[index]! })),
  );
  const grades = await gradeAnswers(items, options);
  const candidateScores = grades.slice(0, questions.length).map((grade) => grade.score);
  const baselineScores = grades.slice(questions.length).map((grade) => grade.score);
  return { ...baselineScoreRatio(candidateScores, baselineScores), candidate: candidate.model, baseline: baseline.model, grades };
}
