import type { AdherenceResult } from '../adherence/attribute-adherence';
import type { FleissKappaResult } from '../agreement/fleiss-kappa';
import type { EloResult } from '../elo/elo-ratings';
import type { BaselineScoreRatio } from '../judge/baseline-score-ratio';
import type { PairwiseResult, PairwiseSummary } from '../judge/pairwise-comparison';
import type { GradingResult, GradingSummary } from '../judge/single-answer-grading';
import type { TextStatisticsSummary } from '../text-statistics/text-statistics';

/** Everything one evaluation run measured; every section is optional. Serialised as the run's JSON report. */
export interface EvaluationReport {
  readonly title: string;
  /** ISO time of the run. */
  readonly createdAt: string;
  /** Free-form facts about the run (model, judge, seeds, sizes). */
  readonly metadata?: Readonly<Record<string, string | number | boolean>>;
  readonly adherence?: AdherenceResult;
  readonly grading?: { readonly judge?: string; readonly summaries: readonly GradingSummary[]; readonly results: readonly GradingResult[] };
  readonly pairwise?: { readonly judge?: string; readonly summary: PairwiseSummary; readonly results: readonly PairwiseResult[] };
  readonly baseline?: BaselineScoreRatio & { readonly candidate: string; readonly baseline: string };
  readonly elo?: EloResult;
  readonly agreement?: FleissKappaResult & { readonly description?: string };
  /** Text statistics per model (or per any label). */
  readonly textStatistics?: Readonly<Record<string, TextStatisticsSummary>>;
}

/** Returns the report as pretty JSON (NaN and ±Infinity become null). */
export function reportToJson(report: EvaluationReport): string {
  return `${JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`;
}
