import type { Featurizer } from '@steerlm/core';

/** How to rebuild a featurizer: its type and the options that change its output (saved beside a model). */
export interface FeaturizerDescription {
  readonly type: string;
  readonly options: Readonly<Record<string, unknown>>;
  /** The descriptions of the parts of a concatenated featurizer. */
  readonly parts?: readonly FeaturizerDescription[];
}

/** A featurizer that can say how to rebuild itself. */
export interface DescribedFeaturizer extends Featurizer {
  readonly description: FeaturizerDescription;
}

/**
 * A featurizer whose vector is made of blocks of different kinds (e.g. embeddings of the prompt, of the
 * response, length statistics): `featureBlocks` lists the block widths in order, summing to `dimension`.
 * The regression head gives every block the same prior weight, whatever its width.
 */
export interface BlockedFeaturizer extends Featurizer {
  readonly featureBlocks: readonly number[];
}

/**
 * A featurizer one of whose features is log(1 + response characters), the input of the length baseline
 * (a least-squares line on it): `lengthFeature` is its index in the vector. With `lengthLine: true` the
 * attribute predictor compares its head with that line and keeps the line where the head does not beat it
 * (see `AttributePredictorTrainOptions.lengthLine`).
 */
export interface LengthFeaturizer extends Featurizer {
  /** The index of log(1 + response characters) in the vector. */
  readonly lengthFeature: number;
}

/** Returns the index of a featurizer's log(1 + response characters) feature (its declared `lengthFeature`), or undefined. */
export function lengthFeatureOf(featurizer: Featurizer): number | undefined {
  const index = (featurizer as Partial<LengthFeaturizer>).lengthFeature;
  return Number.isSafeInteger(index) && index! >= 0 && index! < featurizer.dimension ? index : undefined;
}

/** Returns the block widths of a featurizer's vector: its declared `featureBlocks`, else one block. */
export function featureBlocksOf(featurizer: Featurizer): readonly number[] {
  const blocks = (featurizer as Partial<BlockedFeaturizer>).featureBlocks;
  if (Array.isArray(blocks) && blocks.length > 0 && blocks.reduce((sum, width) => sum + width, 0) === featurizer.dimension) return blocks;
  return [featurizer.dimension];
}

/** Returns whether the featurizer carries a description it can be rebuilt from. */
export function isDescribedFeaturizer(featurizer: Featurizer): featurizer is DescribedFeaturizer {
  const description = (featurizer as Partial<DescribedFeaturizer>).description;
  return typeof description === 'object' && description !== null && typeof description.type === 'string';
}
