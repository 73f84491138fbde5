import { describe, expect, it } from 'vitest';
import { ShapeError } from '../errors';
import { fitLeastSquaresLine } from './least-squares-line';

describe('fitLeastSquaresLine', () => {
  it('fits y on x by least squares', () => {
    // y = 1 + 2x exactly, then with residuals that cancel: the same line.
    expect(fitLeastSquaresLine([0, 1, 2, 3], [1, 3, 5, 7])).toEqual({ slope: 2, intercept: 1, meanX: 1.5, meanY: 4 });
    const noisy = fitLeastSquaresLine([0, 1, 2, 3], [1.5, 2.5, 5.5, 6.5]);
    expect(noisy.slope).toBeCloseTo(1.8, 12);
    expect(noisy.intercept).toBeCloseTo(1.3, 12);
  });

  it('gives slope 0 for a constant x (even one whose mean rounds), 0s for no pairs, and refuses unpaired values', () => {
    expect(fitLeastSquaresLine([0.1, 0.1, 0.1], [1, 2, 6])).toMatchObject({ slope: 0, intercept: 3, meanY: 3 });
    expect(fitLeastSquaresLine([], [])).toEqual({ slope: 0, intercept: 0, meanX: 0, meanY: 0 });
    expect(() => fitLeastSquaresLine([1, 2], [1])).toThrow(ShapeError);
  });
});
