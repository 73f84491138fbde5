import { groupHash } from '@steerlm/core';
import { ridgeCrossValidationErrors } from '../head/ridge-cross-validation';
import { fitRidgeHead } from '../head/ridge-regression';
import type { HeadDataset } from '../head/train-head';
import { subset } from './row-matrix';

/**
 * Returns, per output, the ridge penalty with the lowest masked MSE on that output in grouped K-fold
 * cross-validation over `data` (each output's loss depends only on its own weights, so outputs choose
 * independently). Folds follow the groups' seeded hashes, so a group never straddles train and test.
 * With fewer than two non-empty folds, the middle candidate. `outOfFold` holds each row's prediction
 * (standardised units, row-major rows × outputs) by the fold model that did not see it, with the chosen
 * penalty of its output (NaN where a row was never predicted; undefined without cross-validation).
 */
export function choosePenalties(
  data: HeadDataset,
  groups: readonly string[],
  folds: number,
  seed: number,
  inputs: number,
  outputs: number,
  alphas: readonly number[],
): { alphas: number[]; crossValidationLoss: number | undefined; outOfFold: Float32Array | undefined } {
  const foldOf = groups.map((group) => Math.min(folds - 1, Math.floor(groupHash(group, seed + 7) * folds)));
  const foldRows = Array.from({ length: folds }, (_, fold) => foldOf.flatMap((value, row) => (value === fold ? [row] : [])));
  const usable = foldRows.filter((rows) => rows.length > 0 && rows.length < data.rows);
  if (usable.length < 2)
    return { alphas: new Array<number>(outputs).fill(alphas[Math.floor(alphas.length / 2)]!), crossValidationLoss: undefined, outOfFold: undefined };
  let squared: Float64Array[];
  let counts: Float64Array;
  let predicted: Float32Array[];
  if (data.rows <= inputs) {
    ({ errors: squared, counts, predictions: predicted } = ridgeCrossValidationErrors(data, inputs, outputs, usable, alphas));
  } else {
    squared = alphas.map(() => new Float64Array(outputs));
    counts = new Float64Array(outputs);
    predicted = alphas.map(() => new Float32Array(data.rows * outputs).fill(Number.NaN));
    for (const testRows of usable) {
      const held = new Set(testRows);
      const trainRows = Array.from({ length: data.rows }, (_, row) => row).filter((row) => !held.has(row));
      const train = subset(data, trainRows, inputs, outputs);
      const test = subset(data, testRows, inputs, outputs);
      for (let output = 0; output < outputs; output += 1) for (let row = 0; row < test.rows; row += 1) counts[output]! += test.mask[row * outputs + output]!;
      alphas.forEach((alpha, candidate) => {
        const predictions = fitRidgeHead(train, inputs, outputs, new Array<number>(outputs).fill(alpha)).forward(test.features, test.rows);
        for (let index = 0; index < predictions.length; index += 1) {
          if (!test.mask[index]) continue;
          squared[candidate]![index % outputs]! += (predictions[index]! - test.targets[index]!) ** 2;
          predicted[candidate]![testRows[Math.floor(index / outputs)]! * outputs + (index % outputs)] = predictions[index]!;
        }
      });
    }
  }
  let lossSum = 0;
  let observed = 0;
  const outOfFold = new Float32Array(data.rows * outputs).fill(Number.NaN);
  const chosen = Array.from({ length: outputs }, (_, output) => {
    let best = 0;
    alphas.forEach((_, candidate) => {
      if (squared[candidate]![output]! < squared[best]![output]!) best = candidate;
    });
    lossSum += squared[best]![output]!;
    observed += counts[output]!;
    for (let row = 0; row < data.rows; row += 1) outOfFold[row * outputs + output] = predicted[best]![row * outputs + output]!;
    return counts[output]! > 0 ? alphas[best]! : alphas[Math.floor(alphas.length / 2)]!;
  });
  return { alphas: chosen, crossValidationLoss: observed > 0 ? lossSum / observed : undefined, outOfFold };
}
