import { describe, expect, it } from 'vitest';
import { mixLogitRows, validateRowGroups } from './mix-logit-rows';

const rows = [Float32Array.from([1, -2, 0.5]), Float32Array.from([0.25, 3, -1]), Float32Array.from([4, 0, 2])];

describe('mixLogitRows', () => {
  it('gives neutral + s·(conditioned − neutral) for guidance weights s and 1 − s', () => {
    // s = 2: 2·[1, −2, 0.5] − [0.25, 3, −1] = [1.75, −7, 2]
    const [mixed] = mixLogitRows(rows, [
      [
        { row: 0, weight: 2 },
        { row: 1, weight: -1 },
      ],
    ]);
    expect(Array.from(mixed!)).toEqual([1.75, -7, 2]);
  });

  it('mixes each group separately, with interpolation weights', () => {
    // 0.5·[1, −2, 0.5] + 0.5·[4, 0, 2] = [2.5, −1, 1.25]; row 1 alone is itself.
    const mixed = mixLogitRows(rows, [
      [
        { row: 0, weight: 0.5 },
        { row: 2, weight: 0.5 },
      ],
      [{ row: 1, weight: 1 }],
    ]);
    expect(Array.from(mixed[0]!)).toEqual([2.5, -1, 1.25]);
    expect(mixed[1]).toBe(rows[1]);
  });

  it('sums three rows with a negative weight', () => {
    // 1.5·[1, −2, 0.5] + 1.5·[0.25, 3, −1] − 2·[4, 0, 2] = [−6.125, 1.5, −4.75]
    const [mixed] = mixLogitRows(rows, [
      [
        { row: 0, weight: 1.5 },
        { row: 1, weight: 1.5 },
        { row: 2, weight: -2 },
      ],
    ]);
    expect(Array.from(mixed!)).toEqual([-6.125, 1.5, -4.75]);
  });
});

describe('validateRowGroups', () => {
  it('accepts a partition of the rows and rejects the rest', () => {
    expect(() =>
      validateRowGroups(
        [
          [
            { row: 0, weight: 2 },
            { row: 2, weight: -1 },
          ],
          [{ row: 1, weight: 1 }],
        ],
        3,
      ),
    ).not.toThrow();
    expect(() => validateRowGroups([[{ row: 0, weight: 1 }]], 2)).toThrow(/row 1 is in no row group/);
    expect(() => validateRowGroups([[{ row: 0, weight: 1 }], [{ row: 0, weight: 1 }]], 1)).toThrow(/row 0 is in row groups 0 and 1/);
    expect(() => validateRowGroups([[{ row: 3, weight: 1 }]], 1)).toThrow(/outside the 1 prompts/);
    expect(() => validateRowGroups([[{ row: 0, weight: Number.NaN }]], 1)).toThrow(/must be finite/);
    expect(() => validateRowGroups([[]], 0)).toThrow(/empty/);
  });
});
