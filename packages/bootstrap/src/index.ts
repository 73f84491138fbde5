/**
 * The public API of @steerlm/bootstrap that runs anywhere, a browser included: attribute-combination
 * sampling, prompt checks, the SteerLM 2.0 attribute probabilities and the record formats. The runs that
 * write resumable JSONL output (`runBootstrap`, `generateSteerLM2Data`) are in `@steerlm/bootstrap/node`.
 */
export {
  collectAttributeCombinations,
  pickCombination,
  topValueFilter,
  type CollectCombinationsOptions,
  type CombinationFilter,
} from './attribute-combinations';
export { checkPrompts, promptsFromConversations, type BootstrapPrompt } from './bootstrap-prompt';
export { bootstrapRecordKey } from './bootstrap-record-key';
export type { BootstrapRecord } from './run-bootstrap';
export type { SteerLM2Record, SteerLM2Response } from './steerlm2-data';
export { fitPrompt, truncatePromptLeft, LONG_PROMPT_POLICIES, type LongPromptPolicy, type LongPromptTally } from './fit-prompt';
export { attributeLogProbability, betaBinProbability, normalisePrediction, type AttributeProbabilityOptions } from './attribute-log-probability';
export { betaIntervalProbability, betaTails, logGamma, regularizedIncompleteBeta, type BetaTails } from './beta-distribution';
export { DEFAULT_BOOTSTRAP_SAMPLING } from './sampling-defaults';
export { deriveSeed } from './seeded-random';
