import { describe, expect, it } from 'vitest';
import { baselineErrors, fitBaselines, scoreBaselines } from './apm-baselines';

describe('apm eval baselines', () => {
  it('scores the median constant and a length line on the same labels', () => {
    // Short answers are 0, the long one is 4: the median misses the 4 by 4; length separates them exactly.
    const errors = baselineErrors([0, 0, 0, 4], [5, 5, 5, 500], { min: 0, max: 4 });
    expect(errors.constant).toBeCloseTo(1, 10);
    expect(errors.length).toBeCloseTo(0, 10);
  });

  it('scores the length line by its bins when they miss less than its values', () => {
    // Short answers are mostly 0, long ones mostly 3: the line predicts 0.2 and 3.2, whose values miss by
    // 3.2 in all and whose bins (0 and 3) by 2.
    const labels = [0, 0, 0, 0, 1, 3, 3, 3, 3, 4];
    const lengths = [10, 10, 10, 10, 10, 1000, 1000, 1000, 1000, 1000];
    expect(baselineErrors(labels, lengths, { min: 0, max: 4 }).length).toBeCloseTo(0.2, 10);
  });

  it('falls back to the mean when lengths do not vary, clamped to the scale', () => {
    const errors = baselineErrors([1, 3], [10, 10], { min: 0, max: 4 });
    expect(errors.constant).toBeCloseTo(1, 10);
    expect(errors.length).toBeCloseTo(1, 10);
    expect(baselineErrors([], [], { min: 0, max: 4 }).constant).toBeNaN();
  });

  it('scores baselines fit on other labels: the training median and line, applied to held-out labels', () => {
    // Trained where short answers are 0 and long ones 4 (median 2); held out where every answer is long and 4.
    const fitted = fitBaselines([0, 0, 4, 4], [5, 5, 500, 500]);
    expect(fitted.median).toBe(2);
    expect(fitted.line.meanY).toBe(2);
    expect(fitted.line.slope).toBeCloseTo(4 / (Math.log1p(500) - Math.log1p(5)), 10);
    const heldOut = scoreBaselines(fitted, [4, 4, 4], [500, 500, 500], { min: 0, max: 4 });
    expect(heldOut.constant).toBe(2);
    expect(heldOut.length).toBeCloseTo(0, 10);
    // Fit on the held-out labels themselves, both baselines are perfect there.
    expect(baselineErrors([4, 4, 4], [500, 500, 500], { min: 0, max: 4 })).toEqual({ constant: 0, length: 0 });
    expect(scoreBaselines(fitted, [], [], { min: 0, max: 4 }).constant).toBeNaN();
  });
});
