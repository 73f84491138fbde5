import { mapWithConcurrency, ProgressTracker, type ProgressListener } from '@steerlm/core';
import type { ChatFunction } from './chat-function';
import { RATING_RANGE, singleAnswerGradingMessages } from './judge-prompts';
import { parseRating, type UnparseableReason } from './parse-verdict';

/** One answer to grade. */
export interface GradingItem {
  /** Identifies the question (e.g. its index in a benchmark). */
  readonly id?: string;
  /** The model that wrote the answer, for per-model summaries. */
  readonly model?: string;
  readonly question: string;
  readonly answer: string;
  readonly reference?: string;
}

/** The judge's grade of one answer; `score` is null when the reply held no usable verdict. */
export interface GradingResult {
  readonly id: string | undefined;
  readonly model: string | undefined;
  readonly score: number | null;
  readonly unparseable: UnparseableReason | null;
  /** The judge's full reply. */
  readonly reply: string;
}

/** Scores of one model. */
export interface GradingSummary {
  readonly model: string;
  readonly graded: number;
  /** Replies without a usable verdict: counted, never guessed. */
  readonly unparseable: number;
  /** The mean over parsed scores; null when none parsed. */
  readonly meanScore: number | null;
  /** How many answers got each integer score (decimal scores rounded), from 1 to 10. */
  readonly distribution: Readonly<Record<string, number>>;
}

export interface JudgeRunOptions {
  /** Sends messages to the judge model and returns its reply. */
  readonly chat: ChatFunction;
  /** How many judge requests run at once (default 4). */
  readonly concurrency?: number;
  readonly onProgress?: ProgressListener;
}

/** Returns the judge's 1–10 grade of one answer (MT-Bench-style single-answer grading). */
export async function gradeAnswer(item: GradingItem, chat: ChatFunction): Promise<GradingResult> {
  const reply = await chat(singleAnswerGradingMessages(item));
  const parsed = parseRating(reply, RATING_RANGE);
  return {
    id: item.id,
    model: item.model,
    score: parsed.ok ? parsed.value : null,
    unparseable: parsed.ok ? null : parsed.reason,
    reply,
  };
}

/** Returns every answer's grade, in order, with at most `concurrency` judge requests in flight. */
export async function gradeAnswers(items: readonly GradingItem[], options: JudgeRunOptions): Promise<GradingResult[]> {
  const tracker = new ProgressTracker('judge-single-answer', { total: items.length, unit: 'answers', listeners: [options.onProgress] });
  let done = 0;
  const results = await mapWithConcurrency(items, options.concurrency ?? 4, async (item) => {
    const result = await gradeAnswer(item, options.chat);
    done += 1;
    tracker.step(done);
    return result;
  });
  tracker.end({ unparseable: results.filter((result) => result.score === null).length });
  return results;
}

/** Returns per-model grade summaries (answers without a model are grouped as "model"), in first-seen order. */
export function summarizeGrades(results: readonly GradingResult[]): GradingSummary[] {
  const byModel = new Map<string, GradingResult[]>();
  for (const result of results) {
    const model = result.model ?? 'model';
    byModel.set(model, [...(byModel.get(model) ?? []), result]);
  }
  return [...byModel].map(([model, group]) => {
    const scores = group.map((result) => result.score).filter((score): score is number => score !== null);
    const distribution: Record<string, number> = {};
    for (let score = RATING_RANGE.min; score <= RATING_RANGE.max; score += 1) distribution[String(score)] = 0;
    for (const score of scores) {
      const key = String(Math.min(RATING_RANGE.max, Math.max(RATING_RANGE.min, Math.round(score))));
      distribution[key] = (distribution[key] ?? 0) + 1;
    }
    return {
      model,
      graded: group.length,
      unparseable: group.length - scores.length,
      meanScore: scores.length === 0 ? null : scores.reduce((sum, score) => sum + score, 0) / scores.length,
      distribution,
    };
  });
}
