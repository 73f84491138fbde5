import { groupHash } from '@steerlm/core';
import { featureGram, ridgeCrossValidationErrors } from '../head/ridge-cross-validation';
import { scaleBlock, type FeatureBlock } from '../head/block-scaled-ridge';
import { fitRidgeHead } from '../head/ridge-regression';
import type { HeadDataset } from '../head/train-head';
import { subset } from './row-matrix';

/** Candidate scales of one feature block's features (its penalty divided by the scale's square). */
export interface BlockScaleCandidates {
  readonly block: FeatureBlock;
  readonly scales: readonly number[];
}

/**
 * Returns the test folds (row indices) of choosePenalties' grouped K-fold cross-validation over rows with
 * these `groups`: a row's fold follows its group's seeded hash, so a group never straddles train and test;
 * empty folds, and a fold holding every row, are left out.
 */
export function crossValidationFolds(groups: readonly string[], folds: number, seed: number): number[][] {
  const foldOf = groups.map((group) => Math.min(folds - 1, Math.floor(groupHash(group, seed + 7) * folds)));
  const foldRows = Array.from({ length: folds }, (_, fold) => foldOf.flatMap((value, row) => (value === fold ? [row] : [])));
  return foldRows.filter((rows) => rows.length > 0 && rows.length < groups.length);
}

/**
 * Returns, per output, the ridge penalty (and, with `blockScales`, the scale of that block's features:
 * see fitBlockScaledRidgeHead) with the lowest masked MSE on that output in grouped K-fold
 * cross-validation over `data` (each output's loss depends only on its own weights, so outputs choose
 * independently; ties go to the earlier scale, then the earlier penalty). Folds follow the groups' seeded hashes, so a group never straddles train and test.
 * With fewer than two non-empty folds, the middle penalty and the first scale. `outOfFold` holds each row's prediction
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
  blockScales?: BlockScaleCandidates,
): { alphas: number[]; scales: number[]; crossValidationLoss: number | undefined; outOfFold: Float32Array | undefined } {
  const scaleCandidates = blockScales && blockScales.scales.length > 0 ? blockScales.scales : [1];
  const usable = crossValidationFolds(groups, folds, seed);
  if (usable.length < 2)
    return {
      alphas: new Array<number>(outputs).fill(alphas[Math.floor(alphas.length / 2)]!),
      scales: new Array<number>(outputs).fill(scaleCandidates[0]!),
      crossValidationLoss: undefined,
      outOfFold: undefined,
    };
  // Candidates are (scale, penalty) pairs, scale-major.
  const squared: Float64Array[] = [];
  const predicted: Float32Array[] = [];
  let counts: Float64Array = new Float64Array(outputs);
  // In kernel space the Gram matrix of scaled features is the other columns' plus scale² times the block's: two products, not one per scale.
  const split =
    blockScales && data.rows <= inputs
      ? {
          block: featureGram(data.features, data.rows, inputs, blockScales.block.start, blockScales.block.start + blockScales.block.width),
          all: featureGram(data.features, data.rows, inputs, 0, inputs),
        }
      : undefined;
  for (const scale of scaleCandidates) {
    const scaled = blockScales ? scaleBlock(data, inputs, blockScales.block, scale) : data;
    const gram = split ? split.all.map((value, index) => value + (scale * scale - 1) * split.block[index]!) : undefined;
    const result = crossValidate(scaled, usable, inputs, outputs, alphas, gram);
    squared.push(...result.squared);
    predicted.push(...result.predicted);
    counts = result.counts;
  }
  const candidateScale = (candidate: number) => scaleCandidates[Math.floor(candidate / alphas.length)]!;
  const candidateAlpha = (candidate: number) => alphas[candidate % alphas.length]!;
  let lossSum = 0;
  let observed = 0;
  const outOfFold = new Float32Array(data.rows * outputs).fill(Number.NaN);
  const chosen = Array.from({ length: outputs }, (_, output) => {
    let best = 0;
    squared.forEach((errors, candidate) => {
      if (errors[output]! < squared[best]![output]!) best = candidate;
    });
    lossSum += squared[best]![output]!;
    observed += counts[output]!;
    for (let row = 0; row < data.rows; row += 1) outOfFold[row * outputs + output] = predicted[best]![row * outputs + output]!;
    return counts[output]! > 0
      ? { alpha: candidateAlpha(best), scale: candidateScale(best) }
      : { alpha: alphas[Math.floor(alphas.length / 2)]!, scale: scaleCandidates[0]! };
  });
  return {
    alphas: chosen.map((choice) => choice.alpha),
    scales: chosen.map((choice) => choice.scale),
    crossValidationLoss: observed > 0 ? lossSum / observed : undefined,
    outOfFold,
  };
}

/** Returns the summed squared error per penalty and output, the observed counts and the out-of-fold predictions of ridge over the test folds. */
function crossValidate(
  data: HeadDataset,
  usable: readonly number[][],
  inputs: number,
  outputs: number,
  alphas: readonly number[],
  gram: Float64Array | undefined,
): { squared: Float64Array[]; counts: Float64Array; predicted: Float32Array[] } {
  let squared: Float64Array[];
  let counts: Float64Array;
  let predicted: Float32Array[];
  if (data.rows <= inputs) {
    ({ errors: squared, counts, predictions: predicted } = ridgeCrossValidationErrors(data, inputs, outputs, usable, alphas, gram));
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
  return { squared, counts, predicted };
}
