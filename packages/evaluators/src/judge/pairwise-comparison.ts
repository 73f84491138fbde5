import { mapWithConcurrency, ProgressTracker } from '@steerlm/core';
import type { Battle, BattleWinner } from '../elo/battle';
import type { ChatFunction } from './chat-function';
import { pairwiseComparisonMessages } from './judge-prompts';
import { parsePairwiseVerdict, type UnparseableReason } from './parse-verdict';
import type { JudgeRunOptions } from './single-answer-grading';

/** Two models' answers to one question. */
export interface PairwiseItem {
  readonly id?: string;
  readonly question: string;
  readonly modelA: string;
  readonly answerA: string;
  readonly modelB: string;
  readonly answerB: string;
  readonly reference?: string;
}

/** The verdict of one presentation order, mapped back to the item's own A and B. */
export interface OrderVerdict {
  /** Which of the item's answers was shown first. */
  readonly shownFirst: 'A' | 'B';
  readonly winner: BattleWinner | null;
  readonly unparseable: UnparseableReason | null;
  readonly reply: string;
}

/**
 * The combined verdict of both orders: a winner when both orders agree, a tie when they disagree
 * (`consistent: false`), or null when either reply held no verdict (`unparseable: true`).
 */
export interface PairwiseResult {
  readonly id: string | undefined;
  readonly modelA: string;
  readonly modelB: string;
  readonly winner: BattleWinner | null;
  readonly consistent: boolean;
  readonly unparseable: boolean;
  readonly orders: readonly [OrderVerdict, OrderVerdict];
}

/** Counts over pairwise results and the battles they give for Elo. */
export interface PairwiseSummary {
  readonly comparisons: number;
  /** Comparisons decided (winner or tie) — the battles. */
  readonly decided: number;
  readonly winsA: number;
  readonly winsB: number;
  readonly ties: number;
  /** Comparisons whose two orders disagreed and so became ties. */
  readonly inconsistent: number;
  /** Comparisons left out because a reply held no verdict. */
  readonly unparseable: number;
  /** Judge replies (of 2 per comparison) without a verdict. */
  readonly unparseableReplies: number;
  readonly battles: readonly Battle[];
}

async function judgeOrder(item: PairwiseItem, shownFirst: 'A' | 'B', chat: ChatFunction): Promise<OrderVerdict> {
  const swapped = shownFirst === 'B';
  const reply = await chat(
    pairwiseComparisonMessages({
      question: item.question,
      answerA: swapped ? item.answerB : item.answerA,
      answerB: swapped ? item.answerA : item.answerB,
      ...(item.reference !== undefined ? { reference: item.reference } : {}),
    }),
  );
  const parsed = parsePairwiseVerdict(reply);
  if (!parsed.ok) return { shownFirst, winner: null, unparseable: parsed.reason, reply };
  const winner: BattleWinner = parsed.value === 'tie' ? 'tie' : swapped ? (parsed.value === 'A' ? 'B' : 'A') : parsed.value;
  return { shownFirst, winner, unparseable: null, reply };
}

/** Returns the judge's verdict on one pair, asked in both answer orders to cancel position bias. */
export async function compareAnswers(item: PairwiseItem, chat: ChatFunction): Promise<PairwiseResult> {
  const orders = (await Promise.all([judgeOrder(item, 'A', chat), judgeOrder(item, 'B', chat)])) as [OrderVerdict, OrderVerdict];
  const [first, second] = orders;
  const unparseable = first.winner === null || second.winner === null;
  const consistent = !unparseable && first.winner === second.winner;
  const winner: BattleWinner | null = unparseable ? null : consistent ? first.winner : 'tie';
  return { id: item.id, modelA: item.modelA, modelB: item.modelB, winner, consistent, unparseable, orders };
}

/** Returns every pair's two-order verdict, in order, with at most `concurrency` pairs judged at once. */
export async function compareAnswerPairs(items: readonly PairwiseItem[], options: JudgeRunOptions): Promise<PairwiseResult[]> {
  const tracker = new ProgressTracker('judge-pairwise', { total: items.length, unit: 'pairs', listeners: [options.onProgress] });
  let done = 0;
  const results = await mapWithConcurrency(items, Math.max(1, Math.floor((options.concurrency ?? 4) / 2)), async (item) => {
    const result = await compareAnswers(item, options.chat);
    done += 1;
    tracker.step(done);
    return result;
  });
  const summary = summarizePairwise(results);
  tracker.end({ decided: summary.decided, inconsistent: summary.inconsistent, unparseable: summary.unparseable });
  return results;
}

/** Returns win/tie counts, inconsistent and unparseable counts, and the decided comparisons as battles. */
export function summarizePairwise(results: readonly PairwiseResult[]): PairwiseSummary {
  const battles: Battle[] = [];
  let winsA = 0;
  let winsB = 0;
  let ties = 0;
  let inconsistent = 0;
  let unparseable = 0;
  let unparseableReplies = 0;
  for (const result of results) {
    unparseableReplies += result.orders.filter((order) => order.winner === null).length;
    if (result.winner === null) {
      unparseable += 1;
      continue;
    }
    if (!result.consistent) inconsistent += 1;
    if (result.winner === 'A') winsA += 1;
    else if (result.winner === 'B') winsB += 1;
    else ties += 1;
    battles.push({ modelA: result.modelA, modelB: result.modelB, winner: result.winner });
  }
  return { comparisons: results.length, decided: battles.length, winsA, winsB, ties, inconsistent, unparseable, unparseableReplies, battles };
}
