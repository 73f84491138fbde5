import { BackendError, type Featurizer } from '@steerlm/core';
import type { AnnotateOptions, AnnotationSummary } from './annotate';
import type { PredictorFiles } from './persistence/predictor-files';

/**
 * What needs Node's file system, installed by the Node entry points (`@steerlm/attribute-regressor` under
 * the `node` export condition, and `@steerlm/attribute-regressor/node`). Browser bundles install nothing,
 * so nothing reachable from the root entry imports a Node built-in.
 */
export interface NodeSupport {
  /** Writes a predictor's files into `directory` (created when missing), atomically. */
  writePredictorFiles(directory: string, files: PredictorFiles): Promise<void>;
  /** Returns the files of the predictor saved in `directory`, with the paths they were read from. */
  readPredictorFiles(directory: string): Promise<{ files: PredictorFiles; paths: { config: string; weights: string } }>;
  /** Labels records into a resumable JSONL file (`annotate` of `@steerlm/attribute-regressor/node`). */
  annotate(options: AnnotateOptions): Promise<AnnotationSummary>;
  /** The featurizers that load local model files: `use-lite` and `transformers` (their options as saved). */
  createFeaturizer(type: 'use-lite' | 'transformers', options: Record<string, unknown> | undefined): Featurizer;
}

let installed: NodeSupport | undefined;

/** Installs the Node implementations; called for its effect by the Node entry points. */
export function installNodeSupport(support: NodeSupport): void {
  installed = support;
}

/** Returns the installed Node implementations, or throws a BackendError naming `what` (e.g. `AttributePredictor.save`) and the browser alternative. */
export function nodeSupport(what: string, inBrowser: string): NodeSupport {
  if (!installed)
    throw new BackendError(`${what} needs Node's file system, which this entry (the browser build) does not have`, { backend: 'node', hint: inBrowser });
  return installed;
}
