import { clampToScale, ShapeError, type AttributeSchema, type AttributeScore } from '@steerlm/core';
import type { RegressionHead } from '../head/regression-head';
import { standardize, unstandardize, type Standardizer } from '../head/standardizer';
import { flatten } from './row-matrix';

/** A trained head with the normalisations of its inputs and outputs. */
export interface NormalisedHead {
  readonly schema: AttributeSchema;
  readonly head: RegressionHead;
  readonly featureNormalisation: Standardizer;
  readonly targetNormalisation: Standardizer;
}

/**
 * Returns one score per feature vector (each `inputs` values long): continuous values on the schema's
 * scales, and those values clamped and rounded to the bins.
 */
export function predictScores(model: NormalisedHead, vectors: readonly Float32Array[], inputs: number): AttributeScore[] {
  const outputs = model.schema.names.length;
  vectors.forEach((vector, index) => {
    if (vector.length !== inputs) throw new ShapeError(`feature vector ${index} has ${vector.length} values, the model expects ${inputs}`);
  });
  if (vectors.length === 0) return [];
  const predictions = unstandardize(
    model.head.forward(standardize(flatten(vectors, inputs), model.featureNormalisation), vectors.length),
    model.targetNormalisation,
  );
  return vectors.map((_, row) => {
    const values: Record<string, number> = {};
    const rounded: Record<string, number> = {};
    model.schema.attributes.forEach((definition, column) => {
      const value = predictions[row * outputs + column]!;
      values[definition.name] = value;
      rounded[definition.name] = clampToScale(value, definition);
    });
    return { values: Object.freeze(values), rounded: Object.freeze(rounded) };
  });
}
