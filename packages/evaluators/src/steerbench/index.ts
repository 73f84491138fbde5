export { QUALITY_LEVELS, STEERBENCH_SCHEMA } from './steerbench-schema';
export { DECLINE, ELABORATIONS, INSULTS, JOKES } from './sentence-banks';
export { answerSentence, factOfQuestion, phrasingCount, questionOf, STEERBENCH_FACTS, type SteerBenchFact } from './fact-table';
export {
  composeResponse,
  DEFAULT_MIXTURE,
  usedFacts,
  generateSteerBench,
  STEERBENCH_SYSTEM_PROMPT,
  steerBenchPrompts,
  type AnswerKind,
  type AnswerMixture,
  type SteerBenchDataset,
  type SteerBenchExample,
  type SteerBenchOptions,
  type SteerBenchPrompt,
} from './generate-steerbench';
export { createSteerBenchScorer, factOfInput, isCorrectAnswer, measureQuality, measureSteerBench, splitSentences } from './steerbench-scorer';
