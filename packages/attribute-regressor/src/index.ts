/**
 * The public API of @steerlm/attribute-regressor: the attribute prediction model (train, predict, save,
 * load), dataset annotation, the generative scorer and the featurizers. The regression head, the
 * predictor's file codecs and the training helpers are internal.
 */

// The attribute prediction model
export {
  AttributePredictor,
  MISSING_LABEL,
  type AttributePredictorTrainOptions,
  type FeatureExamples,
  type TrainingExample,
  type TrainingReport,
} from './attribute-predictor';
export type { HeadParameters, RegressionHead, RegressionHeadConfig } from './head/regression-head';
export type { Standardizer } from './head/standardizer';
export { annotate, type AnnotateOptions, type AnnotationOutput, type AnnotationRecord, type AnnotationSkipReason, type AnnotationSummary } from './annotate';
export { annotateNemoFile, checkAnnotationPaths, type AnnotateNemoFileOptions, type NemoAnnotationSummary } from './annotate-nemo-file';
export {
  attributePredictionPrompt,
  GenerativeAttributeScorer,
  parseGeneratedAttributes,
  type GenerativeAttributeScorerOptions,
} from './generative-attribute-scorer';

// Featurizers
export { createFeaturizer, createFeaturizerByName, FEATURIZER_NAMES } from './featurizers/featurizer-registry';
export { isDescribedFeaturizer, type BlockedFeaturizer, type DescribedFeaturizer, type FeaturizerDescription } from './featurizers/featurizer-description';
export { concatenateFeaturizers } from './featurizers/concatenated';
export { createHashedNgramsFeaturizer, type HashedNgramsOptions } from './featurizers/hashed-ngrams';
export { createTextStatisticsFeaturizer, TEXT_STATISTICS_FEATURES, type TextStatisticsOptions } from './featurizers/text-statistics';
export { createTransformersFeaturizer, type TransformersFeaturizerOptions } from './featurizers/transformers-feature-extraction';
export { createUseLiteFeaturizer, USE_LITE_DIMENSION, type UseLiteFeaturizer, type UseLiteOptions } from './featurizers/use-lite';
export { createDecoderHiddenStateFeaturizer, type DecoderHiddenStateOptions, type LastTokenHiddenState } from './featurizers/decoder-hidden-state';
