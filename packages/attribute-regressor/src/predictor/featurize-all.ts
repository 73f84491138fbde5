import { ShapeError, type Featurizer, type ProgressTracker, type ScoringInput } from '@steerlm/core';

/** Returns the features of all inputs, in batches, checking their size and values. */
export async function featurizeAll(
  featurizer: Featurizer,
  inputs: readonly ScoringInput[],
  batchSize: number,
  tracker?: ProgressTracker,
  signal?: AbortSignal,
): Promise<Float32Array[]> {
  const vectors: Float32Array[] = [];
  for (let start = 0; start < inputs.length; start += batchSize) {
    signal?.throwIfAborted();
    const batch = inputs.slice(start, start + batchSize);
    const features = await featurizer.featurize(batch);
    if (features.length !== batch.length) throw new ShapeError(`featurizer ${featurizer.id} returned ${features.length} vectors for ${batch.length} inputs`);
    features.forEach((vector, offset) => {
      if (vector.length !== featurizer.dimension) {
        throw new ShapeError(`featurizer ${featurizer.id} returned ${vector.length} values for input ${start + offset}, declared ${featurizer.dimension}`);
      }
      if (vector.some((value) => !Number.isFinite(value)))
        throw new ShapeError(`featurizer ${featurizer.id} returned NaN or Infinity for input ${start + offset}`);
      vectors.push(vector);
    });
    tracker?.step(Math.floor(start / batchSize) + 1, batch.length);
  }
  return vectors;
}
