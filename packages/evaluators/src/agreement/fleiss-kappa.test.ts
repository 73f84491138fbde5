import { describe, expect, it } from 'vitest';
import { SteerLMError } from '@steerlm/core';
import { fleissKappa, ratingsToCounts } from './index';

// The worked example of Fleiss (1971) as given on Wikipedia: 10 subjects, 14 raters, 5 categories.
const worked = [
  [0, 0, 0, 0, 14],
  [0, 2, 6, 4, 2],
  [0, 0, 3, 5, 6],
  [0, 3, 9, 2, 0],
  [2, 2, 8, 1, 1],
  [7, 7, 0, 0, 0],
  [3, 2, 6, 3, 0],
  [2, 5, 3, 2, 2],
  [6, 5, 2, 1, 0],
  [0, 2, 2, 3, 7],
];

describe('Fleiss kappa', () => {
  it('reproduces the worked example: P̄ = 0.378, P̄e = 0.213, κ ≈ 0.210', () => {
    const result = fleissKappa(worked);
    expect(result.categoryProportions.map((p) => Number(p.toFixed(3)))).toEqual([0.143, 0.2, 0.279, 0.15, 0.229]);
    expect(result.subjectAgreement[0]).toBe(1);
    expect(result.subjectAgreement[1]).toBeCloseTo(0.253, 3);
    expect(result.observedAgreement).toBeCloseTo(0.378, 3);
    expect(result.expectedAgreement).toBeCloseTo(0.213, 3);
    expect(result.kappa!).toBeCloseTo(0.21, 3);
    expect(result).toMatchObject({ subjects: 10, raters: 14 });
  });
  it('is 1 for perfect agreement and null when every rating shares one category', () => {
    expect(
      fleissKappa([
        [3, 0],
        [0, 3],
        [3, 0],
      ]).kappa,
    ).toBeCloseTo(1, 12);
    expect(
      fleissKappa([
        [3, 0],
        [3, 0],
      ]).kappa,
    ).toBeNull();
  });
  it('builds counts from raw labels', () => {
    const { counts, categories } = ratingsToCounts([
      ['A', 'B', 'A'],
      ['tie', 'tie', 'B'],
    ]);
    expect(categories).toEqual(['A', 'B', 'tie']);
    expect(counts).toEqual([
      [2, 1, 0],
      [0, 1, 2],
    ]);
    expect(() => ratingsToCounts([['A', 'X']], ['A', 'B'])).toThrow(/not one of the categories/);
  });
  it('rejects unequal rater counts with a SteerLMError naming the subject', () => {
    try {
      fleissKappa([
        [2, 1],
        [1, 1],
      ]);
      expect.unreachable();
    } catch (error) {
      expect(SteerLMError.isInstance(error)).toBe(true);
      expect(String(error)).toMatch(/subject 1 has 2 ratings, expected 3/);
    }
  });
});
