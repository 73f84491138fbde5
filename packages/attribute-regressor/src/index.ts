export {
  AttributePredictor,
  MISSING_LABEL,
  type AttributePredictorTrainOptions,
  type FeatureExamples,
  type TrainingExample,
  type TrainingReport,
} from './attribute-predictor';
export { annotate, type AnnotateOptions, type AnnotationOutput, type AnnotationRecord, type AnnotationSkipReason, type AnnotationSummary } from './annotate';
export { annotateNemoFile, checkAnnotationPaths, type AnnotateNemoFileOptions, type NemoAnnotationSummary } from './annotate-nemo-file';
export {
  attributePredictionPrompt,
  GenerativeAttributeScorer,
  parseGeneratedAttributes,
  type GenerativeAttributeScorerOptions,
} from './generative-attribute-scorer';
export * from './featurizers';
export * from './head';
export * from './persistence';
export * from './training';
