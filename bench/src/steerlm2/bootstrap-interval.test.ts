import { describe, expect, it } from 'vitest';
import { mean } from '@steerlm/evaluators';
import { bootstrapInterval } from './bootstrap-interval';

/** A random source that returns the given values in order. */
function scripted(values: number[]): () => number {
  let at = 0;
  return () => {
    if (at >= values.length) throw new Error('the scripted random source ran out');
    return values[at++]!;
  };
}

describe('bootstrapInterval', () => {
  it('gives the percentile interval of hand-computed resamples', () => {
    // Units 1, 2, 3; index = floor(r · 3). Resamples: [1,1,1] → 1, [3,3,3] → 3, [1,2,3] → 2, [2,2,3] → 7/3.
    // Sorted draws 1, 2, 7/3, 3; the 25 % and 75 % quantiles (linear) are 1.75 and 2.5.
    const random = scripted([0, 0, 0, 0.99, 0.99, 0.99, 0, 0.5, 0.99, 0.4, 0.4, 0.99]);
    const interval = bootstrapInterval([[1, 2, 3]], (units) => mean([...units]), { resamples: 4, confidence: 0.5, random });
    expect(interval.value).toBe(2);
    expect(interval.low).toBeCloseTo(1.75, 12);
    expect(interval.high).toBeCloseTo(2.5, 12);
    expect(interval.defined).toBe(4);
  });

  it('resamples within each stratum, keeping its size', () => {
    // Strata [1, 2] and [10]: resample 1 draws 1, 2 | 10 → 13; resample 2 draws 2, 2 | 10 → 14.
    const random = scripted([0, 0.9, 0.7, 0.9, 0.9, 0.1]);
    const sizes: number[] = [];
    const sum = (units: readonly number[]) => {
      sizes.push(units.length);
      return units.reduce((total, unit) => total + unit, 0);
    };
    const interval = bootstrapInterval([[1, 2], [10]], sum, { resamples: 2, confidence: 0.5, random });
    expect(interval.value).toBe(13);
    expect(interval.low).toBeCloseTo(13.25, 12);
    expect(interval.high).toBeCloseTo(13.75, 12);
    expect(sizes).toEqual([3, 3, 3]);
  });

  it('leaves out resamples where the statistic is undefined, and is all null when it is undefined on the data', () => {
    const random = scripted([0, 0, 0.9, 0.9, 0, 0.9]);
    // Defined only when the resample holds two distinct units.
    const spread = (units: readonly number[]) => (new Set(units).size > 1 ? Math.max(...units) - Math.min(...units) : null);
    const interval = bootstrapInterval([[0, 5]], spread, { resamples: 3, random });
    expect(interval).toEqual({ value: 5, low: 5, high: 5, defined: 1 });
    expect(bootstrapInterval([[4, 4]], spread, { resamples: 3 })).toEqual({ value: null, low: null, high: null, defined: 0 });
  });

  it('is reproducible by seed and covers the truth of a seeded sample', () => {
    const units = Array.from({ length: 200 }, (_, index) => (index * 7919) % 101);
    const first = bootstrapInterval([units], (chosen) => mean([...chosen]), { seed: 3 });
    expect(bootstrapInterval([units], (chosen) => mean([...chosen]), { seed: 3 })).toEqual(first);
    expect(first.low!).toBeLessThan(first.value!);
    expect(first.high!).toBeGreaterThan(first.value!);
    // Standard error of the mean ≈ 29.2 / √200 ≈ 2.06, so the 95 % interval is ≈ ± 4.
    expect(first.high! - first.low!).toBeGreaterThan(6);
    expect(first.high! - first.low!).toBeLessThan(10);
  });

  it('refuses a bad number of resamples or confidence', () => {
    expect(() => bootstrapInterval([[1]], () => 1, { resamples: 0 })).toThrow(/resamples/);
    expect(() => bootstrapInterval([[1]], () => 1, { confidence: 1 })).toThrow(/confidence/);
  });
});
