/**
 * The public API of @steerlm/evaluators: attribute adherence, LLM-as-judge, Elo, Fleiss kappa, text
 * statistics, descriptive statistics, HTML/SVG reports and the SteerBench dataset. The SteerBench
 * sentence banks and fact tables, chart scales and the concurrency helper are internal.
 *
 * Browser-safe: nothing here imports a Node built-in. Writing a report to files is `writeEvaluationReport`
 * from `@steerlm/evaluators/node`.
 */

// Attribute adherence
export {
  evaluateAttributeAdherence,
  summarizeAdherence,
  type AdherenceOptions,
  type AdherencePrompt,
  type AdherenceResult,
  type AdherenceSample,
  type AttributeAdherence,
  type SteeringCurvePoint,
} from './adherence/attribute-adherence';
export { createGroundTruthScorer, levelOf, textStatisticMeasure, type AttributeMeasure } from './adherence/ground-truth-scorer';

// LLM-as-judge
export type { ChatFunction } from './judge/chat-function';
export {
  gradeAnswer,
  gradeAnswers,
  summarizeGrades,
  type GradingItem,
  type GradingResult,
  type GradingSummary,
  type JudgeRunOptions,
} from './judge/single-answer-grading';
export {
  compareAnswerPairs,
  compareAnswers,
  summarizePairwise,
  type OrderVerdict,
  type PairwiseItem,
  type PairwiseResult,
  type PairwiseSummary,
} from './judge/pairwise-comparison';
export { baselineScoreRatio, scoreAgainstBaseline, type BaselineScoreRatio, type ModelAnswers } from './judge/baseline-score-ratio';
export { pairwiseComparisonMessages, RATING_RANGE, singleAnswerGradingMessages } from './judge/judge-prompts';
export { parsePairwiseVerdict, parseRating, type ParsedVerdict, type UnparseableReason } from './judge/parse-verdict';

// Elo and agreement
export type { Battle, BattleWinner } from './elo/battle';
export { eloRatings, sequentialElo, type EloOptions, type EloRating, type EloResult } from './elo/elo-ratings';
export { fleissKappa, ratingsToCounts, type FleissKappaResult } from './agreement/fleiss-kappa';

// Statistics
export { mean, meanAbsoluteError, quantile, standardDeviation } from './statistics/descriptive';
export { averageRanks, pearsonCorrelation, spearmanCorrelation } from './statistics/rank-correlation';
export { countSyllables } from './text-statistics/count-syllables';
export {
  countSentences,
  fleschKincaidGrade,
  splitWords,
  summarizeTextStatistics,
  textStatistics,
  type TextStatistics,
  type TextStatisticsSummary,
} from './text-statistics/text-statistics';

// Reports
export { reportToJson, type EvaluationReport } from './report/evaluation-report';
export { renderHtmlReport, renderSteeringCurves } from './report/html-report';
export { escapeMarkup } from './report/escape-markup';
export { renderBarChart, type Bar, type BarChartOptions } from './report/svg/bar-chart';
export { renderHistogram, type HistogramOptions } from './report/svg/histogram';
export { renderLineChart, type LineChartOptions, type LineSeries } from './report/svg/line-chart';
export type { ChartFrameOptions } from './report/svg/chart-frame';

// SteerBench
export {
  DEFAULT_MIXTURE,
  generateSteerBench,
  STEERBENCH_SYSTEM_PROMPT,
  steerBenchPrompts,
  type AnswerKind,
  type AnswerMixture,
  type SteerBenchDataset,
  type SteerBenchExample,
  type SteerBenchOptions,
  type SteerBenchPrompt,
} from './steerbench/generate-steerbench';
export { QUALITY_LEVELS, STEERBENCH_SCHEMA } from './steerbench/steerbench-schema';
export { createSteerBenchScorer, isCorrectAnswer } from './steerbench/steerbench-scorer';
