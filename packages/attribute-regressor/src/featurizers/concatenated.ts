import { InvalidOptionError, ShapeError, type Featurizer, type ScoringInput } from '@steerlm/core';
import {
  featureBlocksOf,
  isDescribedFeaturizer,
  lengthFeatureOf,
  type BlockedFeaturizer,
  type DescribedFeaturizer,
  type FeaturizerDescription,
} from './featurizer-description';

/** A featurizer made of parts (their vectors joined end to end, in order). */
export interface ConcatenatedFeaturizer extends BlockedFeaturizer {
  /** The parts, in the order their vectors are joined. */
  readonly parts: readonly Featurizer[];
  /** The length feature (see LengthFeaturizer) of the last part that has one, at its place in the joined vector. */
  readonly lengthFeature?: number;
}

/** Returns the index in the joined vector of the last part's length feature (see LengthFeaturizer), or undefined. */
function joinedLengthFeature(parts: readonly Featurizer[]): number | undefined {
  let found: number | undefined;
  let offset = 0;
  for (const part of parts) {
    const index = lengthFeatureOf(part);
    if (index !== undefined) found = offset + index;
    offset += part.dimension;
  }
  return found;
}

/** Returns a featurizer whose vectors are the parts' vectors joined end to end, in order. */
export function concatenateFeaturizers(parts: readonly Featurizer[]): ConcatenatedFeaturizer | (DescribedFeaturizer & ConcatenatedFeaturizer) {
  if (parts.length === 0) throw new InvalidOptionError('concatenateFeaturizers needs at least one featurizer', { option: 'parts' });
  const dimension = parts.reduce((sum, part) => sum + part.dimension, 0);
  const featurizer: ConcatenatedFeaturizer = {
    specificationVersion: 'v1',
    id: `concat(${parts.map((part) => part.id).join('|')})`,
    dimension,
    parts: [...parts],
    featureBlocks: parts.flatMap((part) => featureBlocksOf(part)),
    ...(joinedLengthFeature(parts) !== undefined ? { lengthFeature: joinedLengthFeature(parts)! } : {}),
    async featurize(inputs: readonly ScoringInput[]): Promise<Float32Array[]> {
      const vectors = inputs.map(() => new Float32Array(dimension));
      let offset = 0;
      for (const part of parts) {
        const partVectors = await part.featurize(inputs);
        partVectors.forEach((vector, index) => {
          if (vector.length !== part.dimension) throw new ShapeError(`featurizer ${part.id} returned ${vector.length} values, declared ${part.dimension}`);
          vectors[index]!.set(vector, offset);
        });
        offset += part.dimension;
      }
      return vectors;
    },
    async dispose(): Promise<void> {
      for (const part of parts) await part.dispose?.();
    },
  };
  if (!parts.every(isDescribedFeaturizer)) return featurizer;
  const description: FeaturizerDescription = { type: 'concatenated', options: {}, parts: parts.map((part) => part.description) };
  return { ...featurizer, description };
}
