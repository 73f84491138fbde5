// Standardising features and targets before the head sees them (the head works in standardised units).
import { standardize, type Standardizer } from '../head/standardizer';

/** Returns a masked copy where unobserved targets are 0 in standardised units (they never count). */
export function standardizeTargets(targets: Float32Array, mask: Uint8Array, standardizer: Standardizer): Float32Array {
  const result = standardize(targets, standardizer);
  for (let index = 0; index < result.length; index += 1) if (!mask[index]) result[index] = 0;
  return result;
}

/** Returns the standardizer with each block's std multiplied by √(block width): equal prior weight per block. */
export function balanceBlocks(standardizer: Standardizer, blocks: readonly number[]): Standardizer {
  const std = Float32Array.from(standardizer.std);
  let offset = 0;
  for (const width of blocks) {
    const scale = Math.sqrt(width);
    for (let index = offset; index < offset + width; index += 1) std[index]! *= scale;
    offset += width;
  }
  return { mean: standardizer.mean, std };
}
