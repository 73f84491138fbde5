export type { FinishReason, GenerateOptions, GenerateResult, LanguageModel, LogProbabilityResult, WeightedPrompt } from './language-model';
export type { AttributeScore, AttributeScorer, ScoringInput } from './attribute-scorer';
export type { Featurizer } from './featurizer';
export type { Tokenizer } from './tokenizer';
export type { ProgressEvent, ProgressEventType, ProgressListener } from './progress-events';
export { ProgressTracker } from './progress-tracker';
