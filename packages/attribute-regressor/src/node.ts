// `@steerlm/attribute-regressor/node`: what reads or writes files, for Node — annotating JSONL and NeMo
// files (resumable), and the featurizers that load local model files. The root entry is browser-safe.
import './node/install-node-support';

export { annotate, type AnnotateOptions, type AnnotationOutput, type AnnotationRecord, type AnnotationSkipReason, type AnnotationSummary } from './annotate';
export { annotateNemoFile, checkAnnotationPaths, type AnnotateNemoFileOptions, type NemoAnnotationSummary } from './annotate-nemo-file';
export {
  createTransformersFeaturizer,
  loadTransformersFeaturizer,
  type LoadTransformersFeaturizerOptions,
  type TransformersFeaturizerOptions,
} from './featurizers/transformers-feature-extraction';
export {
  createUseLiteFeaturizer,
  USE_LITE_DIMENSION,
  USE_LITE_ENGINES,
  useLiteEnginesOf,
  type UseLiteEngineName,
  type UseLiteFeaturizer,
  type UseLiteOptions,
} from './featurizers/use-lite';
export type { BlockedFeaturizer, DescribedFeaturizer } from './featurizers/featurizer-description';
