import { describe, expect, it } from 'vitest';
import { ShapeError } from '@steerlm/core';
import { fitLengthLines, lengthLinesOutOfFold, predictLengthLines, withLengthLines } from './length-line';
import { RegressionHead } from './regression-head';

// Three features per row (the length is column 1) and two outputs; output 1 is missing on row 3.
const features = Float32Array.from([9, 1, 5, 9, 2, 5, 9, 3, 5, 9, 4, 5, 9, 5, 5, 9, 6, 5]);
const targets = Float32Array.from([3, 0, 5, 0, 7, 0, 9, 100, 11, 0, 13, 0]);
const mask = Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1]);
const data = { features, targets, mask, rows: 6 };

describe('fitLengthLines', () => {
  it('fits each output by least squares on the length column over its observed rows', () => {
    const [first, second] = fitLengthLines(data, 3, 2, 1);
    // Output 0 is exactly 1 + 2·length.
    expect(first!.slope).toBeCloseTo(2, 10);
    expect(first!.intercept).toBeCloseTo(1, 10);
    // Output 1 is 0 wherever observed: the masked 100 never enters.
    expect(second).toEqual({ slope: 0, intercept: 0 });
    // A constant column gives the mean (slope 0).
    expect(fitLengthLines(data, 3, 2, 2)[0]).toEqual({ slope: 0, intercept: 8 });
    // Over chosen rows only.
    expect(fitLengthLines({ ...data, targets: Float32Array.from([1, 0, 1, 0, 1, 0, 9, 0, 9, 0, 9, 0]) }, 3, 2, 1, [0, 1, 2])[0]).toEqual({
      slope: 0,
      intercept: 1,
    });
  });

  it('predicts out of fold from the lines fitted without each test fold, NaN outside every fold', () => {
    // Rows 0-2 and 5 are 1 + 2·length, rows 3-4 are 0. Row 5 is in no test fold: it always trains.
    const stepped = { ...data, targets: Float32Array.from([3, 0, 5, 0, 7, 0, 0, 0, 0, 0, 13, 0]), mask: new Uint8Array(12).fill(1) };
    const predictions = lengthLinesOutOfFold(stepped, 3, 2, 1, [
      [0, 1, 2],
      [3, 4],
    ]);
    const fold = fitLengthLines(stepped, 3, 2, 1, [3, 4, 5])[0]!;
    const firstFold = [1, 2, 3].map((length) => Math.fround(fold.intercept + fold.slope * length));
    // The second fold's line is fitted on rows 0-2 and 5 alone: exactly 1 + 2·length, so rows 3 and 4 get 9 and 11 (not the 0 they hold).
    expect(Array.from(predictions.filter((_, index) => index % 2 === 0))).toEqual([...firstFold, 9, 11, Number.NaN]);
    expect(firstFold[0]).not.toBeCloseTo(3, 1);
  });

  it('predicts and replaces only the marked columns of a linear head by the lines', () => {
    const head = RegressionHead.create({ inputDimension: 3, outputDimension: 2, hiddenUnits: 0 });
    head.parameters['head.weight']!.data.fill(1);
    head.parameters['head.bias']!.data.fill(0.5);
    const lines = [
      { slope: 2, intercept: 1 },
      { slope: -1, intercept: 4 },
    ];
    const replaced = withLengthLines(head, lines, [true, false], 1);
    const output = replaced.forward(features, 6);
    const expected = predictLengthLines(lines, features, 6, 3, 1);
    for (let row = 0; row < 6; row += 1) {
      expect(output[row * 2]).toBeCloseTo(expected[row * 2]!, 5);
      expect(output[row * 2 + 1]).toBeCloseTo(9 + row + 1 + 5 + 0.5, 5);
    }
    expect(expected[1]).toBeCloseTo(3, 10);
    // The original head is unchanged.
    expect(head.parameters['head.bias']!.data[0]).toBe(0.5);
    expect(() => withLengthLines(RegressionHead.create({ inputDimension: 3, outputDimension: 2, hiddenUnits: 2 }), lines, [true, false], 1)).toThrow(
      ShapeError,
    );
  });
});
