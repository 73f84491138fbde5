import { describe, expect, it } from 'vitest';
import { averageRanks, mean, meanAbsoluteError, quantile, spearmanCorrelation, standardDeviation } from './index';

describe('descriptive statistics', () => {
  it('computes mean, sample standard deviation, MAE and interpolated quantiles', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(Number.isNaN(mean([]))).toBe(true);
    expect(standardDeviation([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138089935, 8);
    expect(meanAbsoluteError([0, 1, 2], [1, 1, 4])).toBe(1);
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.25)).toBe(2);
    expect(() => meanAbsoluteError([1], [1, 2])).toThrow(/differ in length/);
  });
});

describe('Spearman rank correlation', () => {
  it('gives tied values their average rank', () => {
    expect(averageRanks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
  });
  it('matches a hand-computed value with ties', () => {
    // ranks x: 1, 2.5, 2.5, 4 ; ranks y: 1, 2, 4, 3 → Pearson on ranks.
    const rx = [1, 2.5, 2.5, 4];
    const ry = [1, 2, 4, 3];
    const mx = 2.5;
    const my = 2.5;
    const cov = rx.reduce((s, x, i) => s + (x - mx) * (ry[i]! - my), 0);
    const vx = rx.reduce((s, x) => s + (x - mx) ** 2, 0);
    const vy = ry.reduce((s, y) => s + (y - my) ** 2, 0);
    expect(spearmanCorrelation([1, 2, 2, 3], [5, 6, 9, 7])).toBeCloseTo(cov / Math.sqrt(vx * vy), 12);
    expect(spearmanCorrelation([1, 2, 3], [30, 20, 10])).toBeCloseTo(-1, 12);
    expect(spearmanCorrelation([1, 2, 3], [1, 4, 9])).toBeCloseTo(1, 12);
  });
  it('is null for a constant series', () => {
    expect(spearmanCorrelation([1, 1, 1], [1, 2, 3])).toBeNull();
  });
});
