export {
  AttributePredictor,
  MISSING_LABEL,
  type AttributePredictorTrainOptions,
  type FeatureExamples,
  type TrainingExample,
  type TrainingReport,
} from './attribute-predictor';
export * from './featurizers';
export * from './head';
export * from './persistence';
export * from './training';
