import { describe, expect, it } from 'vitest';
import { clampToScale } from '@steerlm/core';
import { SeededRandom } from '../training/seeded-random';
import { calibrationPays, fitMaeCalibration, median, MIN_CALIBRATION_ROWS, roundedMeanAbsoluteError } from './mae-calibration';

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

  it('gives the standard error of its gain over the uncalibrated bins, from the paired row differences', () => {
    // 100 rows, label 0; the scores 0.6 round to 1 (error 1) on 10 rows and 0.2 to 0 elsewhere; the map (slope 0,
    // intercept 0) fixes the 10: gain 0.1, differences ten 1s and ninety 0s: sd √(0.1 · 0.9 · 100/99), se that / 10.
    const labels = new Array<number>(100).fill(0);
    const scores = labels.map((_, index) => (index < 10 ? 0.6 : 0.2));
    const map = fitMaeCalibration(scores, labels, round);
    expect(map.uncalibratedMae - map.mae).toBeCloseTo(0.1, 12);
    expect(map.gainStandardError).toBeCloseTo(Math.sqrt((0.09 * 100) / 99) / 10, 12);
    expect(calibrationPays(map)).toBe(true);
  });
});

describe('calibrationPays', () => {
  it('needs a gain above its standard error (one by default)', () => {
    expect(calibrationPays({ uncalibratedMae: 0.5, mae: 0.48, gainStandardError: 0.01 })).toBe(true);
    expect(calibrationPays({ uncalibratedMae: 0.5, mae: 0.488, gainStandardError: 0.015 })).toBe(false);
    expect(calibrationPays({ uncalibratedMae: 0.5, mae: 0.48, gainStandardError: 0.01 }, 3)).toBe(false);
    // No gain never pays, even with a zero standard error (the identity map).
    expect(calibrationPays({ uncalibratedMae: 0.5, mae: 0.5, gainStandardError: 0 })).toBe(false);
  });
});
