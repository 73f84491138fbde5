import { describe, expect, it } from 'vitest';
import { ShapeError } from '@steerlm/core';
import { SeededRandom } from '../training/seeded-random';
import { maskedMeanSquaredError } from './masked-mse';
import { RegressionHead } from './regression-head';
import { trainRegressionHead, type HeadDataset } from './train-head';

function linearDataset(rows: number, seed: number, weights: number[][], bias: number[]): HeadDataset {
  const random = new SeededRandom(seed);
  const inputs = weights.length;
  const outputs = bias.length;
  const features = new Float32Array(rows * inputs);
  const targets = new Float32Array(rows * outputs);
  for (let row = 0; row < rows; row += 1) {
    for (let inner = 0; inner < inputs; inner += 1) features[row * inputs + inner] = random.normal();
    for (let column = 0; column < outputs; column += 1) {
      let sum = bias[column]!;
      for (let inner = 0; inner < inputs; inner += 1) sum += features[row * inputs + inner]! * weights[inner]![column]!;
      targets[row * outputs + column] = sum;
    }
  }
  return { features, targets, mask: new Uint8Array(rows * outputs).fill(1), rows };
}

describe('masked MSE', () => {
  it('ignores missing labels: no loss and exactly zero gradient for them', () => {
    const predictions = Float32Array.from([1, 5, 2, -3]);
    const targets = Float32Array.from([0, 100, 2, 999]);
    const mask = Uint8Array.from([1, 0, 1, 0]);
    const { loss, gradient, observed } = maskedMeanSquaredError(predictions, targets, mask);
    expect(observed).toBe(2);
    expect(loss).toBeCloseTo(0.5);
    expect(gradient[1]).toBe(0);
    expect(gradient[3]).toBe(0);
    expect(gradient[0]).toBeCloseTo(1);
    expect(gradient[2]).toBe(0);
  });

  it('is zero with zero gradient when nothing is observed and rejects mismatched shapes', () => {
    const result = maskedMeanSquaredError(new Float32Array(3), new Float32Array(3), new Uint8Array(3));
    expect(result.loss).toBe(0);
    expect([...result.gradient]).toEqual([0, 0, 0]);
    expect(() => maskedMeanSquaredError(new Float32Array(2), new Float32Array(3), new Uint8Array(3))).toThrow(ShapeError);
  });
});

describe('regression head', () => {
  const weights = [
    [1.5, -0.5],
    [0, 2],
    [-1, 0.25],
    [0.5, 0.5],
  ];
  const bias = [0.3, -0.2];

  it('recovers a known linear function of the features', () => {
    const train = linearDataset(400, 1, weights, bias);
    const validation = linearDataset(100, 2, weights, bias);
    const result = trainRegressionHead(train, validation, 4, 2, { weightDecay: 0, learningRate: 0.05, maxEpochs: 200, patience: 30 });
    const learned = result.head.parameters['head.weight']!.data;
    weights.forEach((row, inner) => row.forEach((value, column) => expect(learned[inner * 2 + column]).toBeCloseTo(value, 2)));
    expect(result.head.parameters['head.bias']!.data[0]).toBeCloseTo(0.3, 2);
    expect(result.validationLoss).toBeLessThan(1e-4);
  });

  it('trains the observed attributes of rows whose other attributes are missing', () => {
    const train = linearDataset(400, 3, weights, bias);
    // Hide the second attribute on every other row and corrupt its target there: it must not matter.
    for (let row = 0; row < train.rows; row += 2) {
      train.mask[row * 2 + 1] = 0;
      train.targets[row * 2 + 1] = 1e6;
    }
    const result = trainRegressionHead(train, undefined, 4, 2, { weightDecay: 0, learningRate: 0.05, maxEpochs: 150 });
    const learned = result.head.parameters['head.weight']!.data;
    expect(learned[1 * 2 + 1]).toBeCloseTo(2, 2);
    expect(learned[0]).toBeCloseTo(1.5, 2);
  });

  it('is deterministic for a seed and an MLP fits a nonlinear target', () => {
    const random = new SeededRandom(5);
    const rows = 300;
    const features = new Float32Array(rows * 2);
    const targets = new Float32Array(rows);
    for (let row = 0; row < rows; row += 1) {
      const x = random.normal();
      const y = random.normal();
      features.set([x, y], row * 2);
      targets[row] = Math.abs(x) - Math.abs(y);
    }
    const data = { features, targets, mask: new Uint8Array(rows).fill(1), rows };
    const options = { hiddenUnits: 16, weightDecay: 0, learningRate: 0.01, maxEpochs: 150, seed: 7 };
    const first = trainRegressionHead(data, undefined, 2, 1, options);
    const second = trainRegressionHead(data, undefined, 2, 1, options);
    expect([...first.head.forward(features, rows)]).toEqual([...second.head.forward(features, rows)]);
    expect(first.trainLoss).toBeLessThan(0.05);
  });

  it('computes MLP gradients that match finite differences', () => {
    const head = RegressionHead.create({ inputDimension: 3, outputDimension: 2, hiddenUnits: 4 }, 11);
    const features = Float32Array.from([0.5, -1, 2, 1, 0.25, -0.5]);
    const targets = Float32Array.from([1, -1, 0.5, 2]);
    const mask = Uint8Array.from([1, 1, 0, 1]);
    const { hidden, outputs } = head.forwardWithActivations(features, 2);
    const gradients = head.backward(features, 2, maskedMeanSquaredError(outputs, targets, mask).gradient, hidden);
    for (const name of Object.keys(head.parameters)) {
      const data = head.parameters[name]!.data;
      for (const index of [0, data.length - 1]) {
        const saved = data[index]!;
        data[index] = saved + 1e-2;
        const plus = maskedMeanSquaredError(head.forward(features, 2), targets, mask).loss;
        data[index] = saved - 1e-2;
        const minus = maskedMeanSquaredError(head.forward(features, 2), targets, mask).loss;
        data[index] = saved;
        expect(gradients[name]![index]).toBeCloseTo((plus - minus) / 2e-2, 2);
      }
    }
  });

  it('rejects features of the wrong size', () => {
    const head = RegressionHead.create({ inputDimension: 3, outputDimension: 1, hiddenUnits: 0 });
    expect(() => head.forward(new Float32Array(5), 2)).toThrow(/expects 2 rows of 3 features/);
  });
});

describe('ridge head', () => {
  it('recovers a known linear function exactly with a tiny penalty, primal and dual form', async () => {
    const { fitRidgeHead } = await import('./ridge-regression');
    const weights = [
      [1.5, -0.5],
      [0, 2],
      [-1, 0.25],
      [0.5, 0.5],
    ];
    for (const rows of [200, 3]) {
      const data = linearDataset(rows, 9, weights, [0.3, -0.2]);
      const head = fitRidgeHead(data, 4, 2, [1e-6, 1e-6]);
      const predictions = head.forward(data.features, rows);
      data.targets.forEach((target, index) => expect(predictions[index]).toBeCloseTo(target, 3));
      if (rows === 200)
        weights.forEach((row, inner) => row.forEach((value, column) => expect(head.parameters['head.weight']!.data[inner * 2 + column]).toBeCloseTo(value, 3)));
    }
  });

  it('fits each output only on its observed rows', async () => {
    const { fitRidgeHead } = await import('./ridge-regression');
    const data = linearDataset(
      100,
      4,
      [
        [1, 1],
        [2, -1],
      ],
      [0, 0],
    );
    for (let row = 0; row < 100; row += 3) {
      data.mask[row * 2] = 0;
      data.targets[row * 2] = 1e6;
    }
    const head = fitRidgeHead(data, 2, 2, [1e-6, 1e-6]);
    expect(head.parameters['head.weight']!.data[0]).toBeCloseTo(1, 3);
    expect(head.parameters['head.weight']!.data[2]).toBeCloseTo(2, 3);
  });
});

describe('ridge cross-validation in kernel space', () => {
  it('gives the same held-out errors as refitting in feature space', async () => {
    const { fitRidgeHead } = await import('./ridge-regression');
    const { ridgeCrossValidationErrors } = await import('./ridge-cross-validation');
    const inputs = 12;
    const weights = Array.from({ length: inputs }, (_, index) => [Math.sin(index), Math.cos(index)]);
    const data = linearDataset(10, 21, weights, [0.5, -1]);
    const random = new SeededRandom(8);
    for (let index = 0; index < data.targets.length; index += 1) data.targets[index]! += random.normal() * 0.3;
    data.mask[3] = 0;
    data.mask[8] = 0;
    const folds = [
      [0, 1, 2],
      [3, 4, 5, 6],
      [7, 8, 9],
    ];
    const alphas = [0.1, 10];
    const { errors, counts, predictions: outOfFold } = ridgeCrossValidationErrors(data, inputs, 2, folds, alphas);
    const expected = alphas.map(() => [0, 0]);
    for (const test of folds) {
      const train = Array.from({ length: 10 }, (_, row) => row).filter((row) => !test.includes(row));
      const pick = <T extends Float32Array | Uint8Array>(source: T, rows: number[], width: number) => {
        const result = new (source.constructor as new (length: number) => T)(rows.length * width);
        rows.forEach((row, index) => result.set(source.subarray(row * width, (row + 1) * width), index * width));
        return result;
      };
      const subset = {
        features: pick(data.features, train, inputs),
        targets: pick(data.targets, train, 2),
        mask: pick(data.mask, train, 2),
        rows: train.length,
      };
      alphas.forEach((alpha, candidate) => {
        const predictions = fitRidgeHead(subset, inputs, 2, [alpha, alpha]).forward(pick(data.features, test, inputs), test.length);
        test.forEach((row, index) => {
          for (let output = 0; output < 2; output += 1) {
            if (data.mask[row * 2 + output]) expected[candidate]![output]! += (predictions[index * 2 + output]! - data.targets[row * 2 + output]!) ** 2;
            // Each observed row's out-of-fold prediction is the refitted fold model's; unobserved ones stay NaN.
            if (data.mask[row * 2 + output]) expect(outOfFold[candidate]![row * 2 + output]).toBeCloseTo(predictions[index * 2 + output]!, 3);
            else expect(outOfFold[candidate]![row * 2 + output]).toBeNaN();
          }
        });
      });
    }
    expect([...counts]).toEqual([9, 9]);
    alphas.forEach((_, candidate) => [0, 1].forEach((output) => expect(errors[candidate]![output]).toBeCloseTo(expected[candidate]![output]!, 3)));
  });
});
