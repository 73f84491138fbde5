import { describe, expect, it } from 'vitest';
import { defineAttributeSchema, ShapeError } from '@steerlm/core';
import { RegressionHead } from '../head/regression-head';
import { predictScores } from './predict-scores';

const schema = defineAttributeSchema({
  attributes: [
    { name: 'quality', min: 0, max: 4 },
    { name: 'humor', min: 0, max: 4 },
  ],
});

describe('predictScores', () => {
  // A linear head y = x · W + b in standardised units, W = [[1, 0], [0, -1]], b = [0, 0].
  const head = RegressionHead.fromParameters(
    { inputDimension: 2, outputDimension: 2, hiddenUnits: 0 },
    {
      'head.weight': { data: Float32Array.from([1, 0, 0, -1]), shape: [2, 2] },
      'head.bias': { data: Float32Array.from([0, 0]), shape: [2] },
    },
  );
  const model = {
    schema,
    head,
    featureNormalisation: { mean: Float32Array.from([1, 1]), std: Float32Array.from([1, 2]) },
    targetNormalisation: { mean: Float32Array.from([2, 2]), std: Float32Array.from([1, 1]) },
  };

  it('undoes both normalisations, then clamps and rounds to the bins', () => {
    const [first, second] = predictScores(model, [Float32Array.from([1.6, 1]), Float32Array.from([10, -9])], 2);
    expect(first!.values.quality).toBeCloseTo(2.6, 5);
    expect(first!.values.humor).toBeCloseTo(2, 5);
    expect(first!.rounded).toEqual({ quality: 3, humor: 2 });
    expect(second!.values.quality).toBeCloseTo(11, 5);
    expect(second!.rounded).toEqual({ quality: 4, humor: 4 });
    expect(Object.isFrozen(first!.values)).toBe(true);
  });

  it('returns nothing for no vectors and refuses a vector of the wrong width', () => {
    expect(predictScores(model, [], 2)).toEqual([]);
    expect(() => predictScores(model, [new Float32Array(3)], 2)).toThrow(ShapeError);
  });
});
