export { concatenateFeaturizers } from './concatenated';
export { createDecoderHiddenStateFeaturizer, type DecoderHiddenStateOptions, type LastTokenHiddenState } from './decoder-hidden-state';
export { featureBlocksOf, isDescribedFeaturizer, type BlockedFeaturizer, type DescribedFeaturizer, type FeaturizerDescription } from './featurizer-description';
export { createFeaturizer, createFeaturizerByName, FEATURIZER_NAMES } from './featurizer-registry';
export { createHashedNgramsFeaturizer, type HashedNgramsOptions } from './hashed-ngrams';
export { assertScorable, DEFAULT_MAX_PROMPT_CHARACTERS, DEFAULT_MAX_RESPONSE_CHARACTERS, lastUserText, promptText } from './scoring-text';
export { createTextStatisticsFeaturizer, TEXT_STATISTICS_FEATURES, textStatistics, type TextStatisticsOptions } from './text-statistics';
export { createTransformersFeaturizer, type TransformersFeaturizerOptions } from './transformers-feature-extraction';
export { cosineSimilarity, createUseLiteFeaturizer, USE_LITE_DIMENSION, type UseLiteFeaturizer, type UseLiteOptions } from './use-lite';
