import { describe, expect, it } from 'vitest';
import { clampToScale } from '@steerlm/core';
import { SeededRandom } from '../training/seeded-random';
import { fitMaeCalibration, median, MIN_CALIBRATION_ROWS, roundedMeanAbsoluteError } from './mae-calibration';

const round = (value: number) => clampToScale(value, { min: 0, max: 4 });

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones, and NaN when empty', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([-1, 10, 10])).toBe(10);
    expect(median([])).toBeNaN();
  });
});

describe('fitMaeCalibration', () => {
  it('keeps the signal of scores that predict the labels, beating the constant median', () => {
    const random = new SeededRandom(1);
    const labels = Array.from({ length: 300 }, () => Math.floor(random.next() * 5));
    // A shrunk, shifted mean estimate (as ridge gives): 1.2 + 0.4 · label + noise.
    const scores = labels.map((label) => 1.2 + 0.4 * label + (random.next() - 0.5) * 0.3);
    const map = fitMaeCalibration(scores, labels, round);
    const constant = roundedMeanAbsoluteError(new Array<number>(labels.length).fill(median(labels)), labels, round);
    expect(map.slope).toBeGreaterThan(1.5);
    expect(map.mae).toBeLessThan(0.1);
    expect(map.mae).toBeLessThan(constant - 1);
    // The uncalibrated scores squeeze 0..4 into 1.2..2.8: their bins miss far more.
    expect(map.uncalibratedMae).toBeGreaterThan(0.5);
  });

  it('falls back to the constant median when the scores carry nothing', () => {
    const random = new SeededRandom(2);
    // Mostly 0 (like toxicity): the median is 0 and the mean about 0.7.
    const labels = Array.from({ length: 300 }, () => (random.next() < 0.7 ? 0 : 1 + Math.floor(random.next() * 4)));
    const scores = labels.map(() => 0.7 + (random.next() - 0.5) * 0.2);
    const map = fitMaeCalibration(scores, labels, round);
    expect(map.slope).toBe(0);
    expect(round(map.intercept)).toBe(0);
    const constant = roundedMeanAbsoluteError(new Array<number>(labels.length).fill(0), labels, round);
    expect(map.mae).toBeCloseTo(constant, 12);
    // Rounding the mean estimate (about 0.7 → bin 1) loses to the median.
    expect(map.uncalibratedMae).toBeGreaterThan(constant + 0.2);
  });

  it('leaves too few labels uncalibrated (identity)', () => {
    const labels = Array.from({ length: MIN_CALIBRATION_ROWS - 1 }, (_, index) => index % 2);
    const map = fitMaeCalibration(
      labels.map(() => 3),
      labels,
      round,
    );
    expect(map).toMatchObject({ slope: 1, intercept: 0, rows: MIN_CALIBRATION_ROWS - 1 });
  });
});
