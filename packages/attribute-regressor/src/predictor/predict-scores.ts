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
  /** Per output, the map from the continuous value to the one rounded to a bin (identity when undefined). */
  readonly binCalibration?: BinCalibration | undefined;
}

/** Per output, `intercept + slope · value` is what is clamped and rounded to the bins (fitted for MAE in training). */
export interface BinCalibration {
  readonly slope: Float32Array;
  readonly intercept: Float32Array;
}

/**
 * Returns one score per feature vector (each `inputs` values long): continuous values on the schema's
 * scales (the head's estimate of the mean label), and bins: those values through the model's bin
 * calibration (the MAE-optimal bin), clamped and rounded.
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
      const calibration = model.binCalibration;
      rounded[definition.name] = clampToScale(calibration ? calibration.intercept[column]! + calibration.slope[column]! * value : value, definition);
    });
    return { values: Object.freeze(values), rounded: Object.freeze(rounded) };
  });
}
