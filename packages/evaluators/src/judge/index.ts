export type { ChatFunction } from './chat-function';
export { RATING_RANGE, pairwiseComparisonMessages, singleAnswerGradingMessages } from './judge-prompts';
export { parsePairwiseVerdict, parseRating, type ParsedVerdict, type UnparseableReason } from './parse-verdict';
export {
  gradeAnswer,
  gradeAnswers,
  summarizeGrades,
  type GradingItem,
  type GradingResult,
  type GradingSummary,
  type JudgeRunOptions,
} from './single-answer-grading';
export {
  compareAnswerPairs,
  compareAnswers,
  summarizePairwise,
  type OrderVerdict,
  type PairwiseItem,
  type PairwiseResult,
  type PairwiseSummary,
} from './pairwise-comparison';
export { baselineScoreRatio, scoreAgainstBaseline, type BaselineScoreRatio, type ModelAnswers } from './baseline-score-ratio';
