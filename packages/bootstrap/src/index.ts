export { collectAttributeCombinations, pickCombination, topValueFilter, type CollectCombinationsOptions, type CombinationFilter } from './attribute-combinations';
export { checkPrompts, promptsFromConversations, type BootstrapPrompt } from './bootstrap-prompt';
export { fitPrompt, truncatePromptLeft, LONG_PROMPT_POLICIES, type LongPromptPolicy, type LongPromptTally } from './fit-prompt';
export { bootstrapRecordKey, runBootstrap, type BootstrapOptions, type BootstrapRecord, type BootstrapSummary } from './run-bootstrap';
export { generateSteerLM2Data, type SteerLM2DataOptions, type SteerLM2DataSummary, type SteerLM2Record, type SteerLM2Response } from './steerlm2-data';
export { attributeLogProbability, betaBinProbability, normalisePrediction, type AttributeProbabilityOptions } from './attribute-log-probability';
export { betaIntervalProbability, betaTails, logGamma, regularizedIncompleteBeta, type BetaTails } from './beta-distribution';
export { DEFAULT_BOOTSTRAP_SAMPLING } from './sampling-defaults';
export { deriveSeed } from './seeded-random';
