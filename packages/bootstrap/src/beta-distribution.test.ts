import { STEERLM } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import { attributeLogProbability, betaBinProbability } from './attribute-log-probability';
import { betaIntervalProbability, betaTails, logGamma, regularizedIncompleteBeta } from './beta-distribution';

/** I_x(a, b) for integer a, b: P(Binomial(a + b − 1, x) >= a), a hand-checkable closed form. */
function integerIncompleteBeta(x: number, a: number, b: number): number {
  const n = a + b - 1;
  let sum = 0;
  let binomial = 1;
  for (let j = 0; j <= n; j++) {
    if (j > 0) binomial = (binomial * (n - j + 1)) / j;
    if (j >= a) sum += binomial * x ** j * (1 - x) ** (n - j);
  }
  return sum;
}

describe('regularised incomplete beta', () => {
  it('matches the log-gamma of integers and half-integers', () => {
    expect(logGamma(1)).toBeCloseTo(0, 14);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    expect(logGamma(1e-5)).toBeCloseTo(11.512919692895828, 9);
  });

  it('matches closed forms: I_x(1,1) = x, I_x(a,1) = x^a, I_x(1,b) = 1 − (1−x)^b, I_½(a,a) = ½', () => {
    for (const x of [0.01, 0.3, 0.5, 0.77, 0.999]) {
      expect(regularizedIncompleteBeta(x, 1, 1)).toBeCloseTo(x, 14);
      expect(regularizedIncompleteBeta(x, 3.5, 1)).toBeCloseTo(x ** 3.5, 14);
      expect(regularizedIncompleteBeta(x, 1, 2.5)).toBeCloseTo(1 - (1 - x) ** 2.5, 14);
    }
    for (const a of [0.1, 1, 7.3, 12, 60]) expect(regularizedIncompleteBeta(0.5, a, a)).toBeCloseTo(0.5, 13);
  });

  it('matches the binomial sums for integer shapes (α = 24 r with r = 0.5, 0.25, …)', () => {
    for (const [a, b] of [
      [12, 12],
      [6, 18],
      [18, 6],
      [2, 3],
      [23, 1],
    ] as const) {
      for (const x of [0.2, 0.4, 0.6, 0.8]) {
        expect(regularizedIncompleteBeta(x, a, b)).toBeCloseTo(integerIncompleteBeta(x, a, b), 13);
      }
    }
  });

  it('matches reference values (scipy.special.betainc) to 1e-12 relative, in both tails', () => {
    const cases: [number, number, number, number, number][] = [
      [12, 12, 0.4, 0.16364344063989264, 0.8363565593601073],
      [0.5, 2.5, 0.3, 0.7968893362799453, 0.2031106637200549],
      [2.4e-5, 23.99998, 0.2, 0.9999999793397819, 2.0660218126229546e-8],
      [19.2, 4.8, 0.8, 0.459041660160758, 0.540958339839242],
      [19.2, 4.8, 0.6, 0.014952873304267034, 0.985047126695733],
      [7.2, 16.8, 0.2, 0.137805201605384, 0.8621947983946164],
      [0.024, 23.976, 0.8, 1, 2.3498686733663577e-20],
      [100, 100, 0.45, 0.0783879327122203, 0.9216120672877799],
    ];
    for (const [a, b, x, lower, upper] of cases) {
      const tails = betaTails(x, a, b);
      expect(Math.abs(tails.lower - lower) / lower).toBeLessThan(1e-12);
      expect(Math.abs(tails.upper - upper) / upper).toBeLessThan(1e-12);
    }
  });

  it('gives bin masses that sum to 1', () => {
    for (const [a, b] of [
      [0.024, 23.976],
      [12, 12],
      [21.6, 2.4],
    ] as const) {
      let total = 0;
      for (let bin = 0; bin < 5; bin++) total += betaIntervalProbability(bin / 5, (bin + 1) / 5, a, b);
      expect(total).toBeCloseTo(1, 13);
    }
  });
});

describe('Beta-bin attribute probabilities (α = 24 r, β = 24 − α)', () => {
  const range = { min: 0, max: 4 };

  it('equals hand-computed CDF differences over five equal bins', () => {
    // r = 0.5: α = β = 12; value 2 is the bin [0.4, 0.6]: I_0.6(12,12) − I_0.4(12,12).
    expect(betaBinProbability(0.5, 2, range)).toBeCloseTo(0.8363565593601073 - 0.16364344063989264, 13);
    // r = 0.25: α = 6, β = 18; value 1 is [0.2, 0.4].
    expect(betaBinProbability(0.25, 1, range)).toBeCloseTo(integerIncompleteBeta(0.4, 6, 18) - integerIncompleteBeta(0.2, 6, 18), 13);
    // r = 0.8: α = 19.2, β = 4.8; value 4 is [0.8, 1]: 1 − I_0.8.
    expect(betaBinProbability(0.8, 4, range)).toBeCloseTo(0.540958339839242, 13);
    // value 3 is [0.6, 0.8].
    expect(betaBinProbability(0.8, 3, range)).toBeCloseTo(0.459041660160758 - 0.014952873304267034, 13);
  });

  it('sums the logs over the label attributes, from predictions on the schema scale', () => {
    const predictions = { quality: 3.2, helpfulness: 2, toxicity: 0.4 };
    const expected = Math.log(betaBinProbability(0.8, 4, range)) + Math.log(betaBinProbability(0.5, 2, range));
    expect(attributeLogProbability(predictions, { quality: 4, helpfulness: 2 }, STEERLM)).toBeCloseTo(expected, 12);
    expect(() => attributeLogProbability(predictions, { humor: 1 }, STEERLM)).toThrow(/no finite prediction for "humor"/);
  });

  it('stays finite at the ends of the scale', () => {
    expect(Number.isFinite(Math.log(betaBinProbability(0, 4, range)))).toBe(true);
    expect(betaBinProbability(1, 4, range)).toBeGreaterThan(0.99);
  });
});
