import { describe, expect, it } from 'vitest';
import { InvalidOptionError, ShapeError } from '@steerlm/core';
import { SeededRandom } from '../training/seeded-random';
import { fitBlockScaledRidgeHead, scaleBlock } from './block-scaled-ridge';
import { fitRidgeHead } from './ridge-regression';
import type { HeadDataset } from './train-head';

/**
 * 300 rows of 41 features: 40 sparse noise columns (each 0 or ±1, rarely set) and one dense column (the
 * last) that drives both outputs: output 0 = 2 · dense + small noise, output 1 = −dense + small noise.
 */
function denseSignal(): HeadDataset {
  const rows = 300;
  const inputs = 41;
  const random = new SeededRandom(5);
  const features = new Float32Array(rows * inputs);
  const targets = new Float32Array(rows * 2);
  for (let row = 0; row < rows; row += 1) {
    for (let column = 0; column < 40; column += 1) if (random.next() < 0.05) features[row * inputs + column] = random.next() < 0.5 ? -1 : 1;
    const dense = random.normal();
    features[row * inputs + 40] = dense;
    targets[row * 2] = 2 * dense + 0.1 * random.normal();
    targets[row * 2 + 1] = -dense + 0.1 * random.normal();
  }
  return { features, targets, mask: new Uint8Array(rows * 2).fill(1), rows };
}

const block = { start: 40, width: 1 };

describe('fitBlockScaledRidgeHead', () => {
  it('lowers the penalty on the scaled block by the square of its scale, per output', () => {
    const data = denseSignal();
    // A penalty of 300 (the row count) halves a unit-variance feature's weight: 2 → about 1.
    const plain = fitRidgeHead(data, 41, 2, [300, 300]).parameters['head.weight']!.data;
    expect(plain[40 * 2]).toBeCloseTo(1, 1);
    expect(plain[40 * 2 + 1]).toBeCloseTo(-0.5, 1);
    // Scale 64 on output 0 divides its block penalty by 4096: the dense weight is back near 2; output 1 keeps scale 1.
    const head = fitBlockScaledRidgeHead(data, 41, 2, [300, 300], [64, 1], block);
    const weight = head.parameters['head.weight']!.data;
    expect(weight[40 * 2]).toBeCloseTo(2, 1);
    expect(weight[40 * 2 + 1]).toBeCloseTo(plain[40 * 2 + 1]!, 5);
    // The head takes unscaled features: its predictions are those of the ridge fit on the scaled features.
    const scaled = scaleBlock(data, 41, block, 64);
    const reference = fitRidgeHead(scaled, 41, 2, [300, 300]).forward(scaled.features, data.rows);
    const predictions = head.forward(data.features, data.rows);
    for (let row = 0; row < data.rows; row += 1) expect(predictions[row * 2]).toBeCloseTo(reference[row * 2]!, 4);
  });

  it('gives the same head in the dual form (fewer rows than features) as ridge on the scaled features', () => {
    const rows = 20;
    const inputs = 50;
    const random = new SeededRandom(9);
    const features = Float32Array.from({ length: rows * inputs }, () => random.normal());
    const targets = Float32Array.from(
      { length: rows * 2 },
      (_, index) => features[Math.floor(index / 2) * inputs + 48]! * (index % 2 ? -1 : 3) + random.normal(),
    );
    const mask = new Uint8Array(rows * 2).fill(1);
    mask[5] = 0;
    const data = { features, targets, mask, rows };
    const dense = { start: 45, width: 5 };
    const head = fitBlockScaledRidgeHead(data, inputs, 2, [20, 5], [8, 3], dense);
    const predictions = head.forward(features, rows);
    for (const [output, scale] of [
      [0, 8],
      [1, 3],
    ] as const) {
      const scaled = scaleBlock(data, inputs, dense, scale);
      const reference = fitRidgeHead(scaled, inputs, 2, [20, 5]).forward(scaled.features, rows);
      for (let row = 0; row < rows; row += 1) expect(predictions[row * 2 + output]).toBeCloseTo(reference[row * 2 + output]!, 4);
    }
  });

  it('is the plain ridge head with every scale 1, and refuses bad scales or blocks', () => {
    const data = denseSignal();
    const plain = fitRidgeHead(data, 41, 2, [10, 100]).parameters['head.weight']!.data;
    expect(fitBlockScaledRidgeHead(data, 41, 2, [10, 100], [1, 1], block).parameters['head.weight']!.data).toEqual(plain);
    expect(scaleBlock(data, 41, block, 1)).toBe(data);
    expect(() => fitBlockScaledRidgeHead(data, 41, 2, [1, 1], [1, 0], block)).toThrow(InvalidOptionError);
    expect(() => fitBlockScaledRidgeHead(data, 41, 2, [1, 1], [1], block)).toThrow(ShapeError);
    expect(() => fitBlockScaledRidgeHead(data, 41, 2, [1, 1], [1, 1], { start: 40, width: 2 })).toThrow(/block \[40, 42\) is outside 41 features/);
  });
});
