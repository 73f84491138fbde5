import { installNodeSupport } from '../node-support';
import { annotate } from '../annotate';
import { createTransformersFeaturizer, type TransformersFeaturizerOptions } from '../featurizers/transformers-feature-extraction';
import { createUseLiteFeaturizer, type UseLiteOptions } from '../featurizers/use-lite';
import { readPredictorFiles, writePredictorFiles } from './predictor-folder';

// Imported for its effect by the Node entry points: predictors save to and load from folders, `annotate`
// writes JSONL files, and saved use-lite and transformers featurizers can be rebuilt.
installNodeSupport({
  writePredictorFiles,
  readPredictorFiles,
  annotate,
  createFeaturizer: (type, options) =>
    type === 'use-lite'
      ? createUseLiteFeaturizer(options as UseLiteOptions)
      : createTransformersFeaturizer(options as unknown as TransformersFeaturizerOptions),
});
