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

/** Returns whether the featurizer carries a description it can be rebuilt from. */
export function isDescribedFeaturizer(featurizer: Featurizer): featurizer is DescribedFeaturizer {
  const description = (featurizer as Partial<DescribedFeaturizer>).description;
  return typeof description === 'object' && description !== null && typeof description.type === 'string';
}
