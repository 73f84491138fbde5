/**
 * The public API of @steerlm/attribute-regressor: the attribute prediction model (train, predict, save,
 * load), dataset annotation, the generative scorer and the featurizers. The regression head, the
 * predictor's file codecs and the training helpers are internal.
 *
 * Browser-safe: nothing here imports a Node built-in. Under Node (the `node` export condition, index.node.ts)
 * `AttributePredictor.save`/`load`/`annotate` use the file system; in a browser, `toFiles`/`fromFiles`.
 * Annotating files and the featurizers that load local models are in `@steerlm/attribute-regressor/node`.
 */

// The attribute prediction model
export {
  AttributePredictor,
  MISSING_LABEL,
  type AttributeCalibration,
  type AttributePredictorTrainOptions,
  type PredictorFiles,
  type FeatureExamples,
  type TrainingExample,
  type TrainingReport,
} from './attribute-predictor';
export type { HeadParameters, RegressionHead, RegressionHeadConfig } from './head/regression-head';
export type { Standardizer } from './head/standardizer';
export type { BinCalibration } from './predictor/predict-scores';
export type { AnnotateOptions, AnnotationOutput, AnnotationRecord, AnnotationSkipReason, AnnotationSummary } from './annotate';
export {
  attributePredictionPrompt,
  GenerativeAttributeScorer,
  parseGeneratedAttributes,
  type GenerativeAttributeScorerOptions,
} from './generative-attribute-scorer';

// Featurizers
export { createFeaturizer, createFeaturizerByName, DEFAULT_FEATURIZER_NAME, FEATURIZER_NAMES } from './featurizers/featurizer-registry';
export {
  isDescribedFeaturizer,
  lengthFeatureOf,
  type BlockedFeaturizer,
  type DescribedFeaturizer,
  type FeaturizerDescription,
  type LengthFeaturizer,
} from './featurizers/featurizer-description';
export { concatenateFeaturizers, type ConcatenatedFeaturizer } from './featurizers/concatenated';
export { createHashedNgramsFeaturizer, type HashedNgramsOptions } from './featurizers/hashed-ngrams';
export { createTextStatisticsFeaturizer, TEXT_STATISTICS_FEATURES, type TextStatisticsOptions } from './featurizers/text-statistics';
export { createDecoderHiddenStateFeaturizer, type DecoderHiddenStateOptions, type LastTokenHiddenState } from './featurizers/decoder-hidden-state';
