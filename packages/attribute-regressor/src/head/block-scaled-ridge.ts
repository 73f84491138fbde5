import { InvalidOptionError, ShapeError } from '@steerlm/core';
import type { RegressionHead } from './regression-head';
import { fitRidgeHead } from './ridge-regression';
import type { HeadDataset } from './train-head';

/** A feature block: the columns [start, start + width) of the feature rows. */
export interface FeatureBlock {
  readonly start: number;
  readonly width: number;
}

/** Returns a copy of `data` whose features in `block` are multiplied by `scale` (the same dataset when scale is 1). */
export function scaleBlock(data: HeadDataset, inputs: number, block: FeatureBlock, scale: number): HeadDataset {
  if (scale === 1) return data;
  const features = Float32Array.from(data.features);
  for (let row = 0; row < data.rows; row += 1) {
    const offset = row * inputs + block.start;
    for (let column = offset; column < offset + block.width; column += 1) features[column]! *= scale;
  }
  return { ...data, features };
}

/**
 * Returns the ridge head (see fitRidgeHead) where output j's penalty on the features of `block` is
 * alphas[j] / scales[j]² and alphas[j] on the others: per output, ridge on the features with the block
 * multiplied by scales[j], whose block weights are then multiplied by scales[j], so the head takes the
 * unscaled features (one Gram matrix per row set for every scale). A large scale leaves a small dense block (length statistics) nearly unpenalised
 * while the wide sparse block (hashed n-grams) keeps the penalty that cross-validation chose.
 */
export function fitBlockScaledRidgeHead(
  data: HeadDataset,
  inputs: number,
  outputs: number,
  alphas: readonly number[],
  scales: readonly number[],
  block: FeatureBlock,
): RegressionHead {
  if (scales.length !== outputs) throw new ShapeError(`fitBlockScaledRidgeHead needs ${outputs} block scales, got ${scales.length}`);
  if (block.start < 0 || block.width < 0 || block.start + block.width > inputs)
    throw new ShapeError(`block [${block.start}, ${block.start + block.width}) is outside ${inputs} features`);
  for (const scale of scales)
    if (!Number.isFinite(scale) || scale <= 0)
      throw new InvalidOptionError(`ridge block scales must be positive, got ${scale}`, { option: 'ridgeBlockScales' });
  return fitRidgeHead(data, inputs, outputs, alphas, { block, scales });
}
