import { describe, expect, it } from 'vitest';
import { baselineErrors } from './apm-baselines';

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
});
