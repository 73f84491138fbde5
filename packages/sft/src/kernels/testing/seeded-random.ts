/** Deterministic random numbers for kernel tests (mulberry32), so failures reproduce from the seed. */

import { seededRandom, type RandomSource } from '@steerlm/core';

export type { RandomSource };

/** Returns a seeded uniform [0, 1) generator (core's mulberry32). */
export const createRandom: (seed: number) => RandomSource = seededRandom;

/** Options for randomArray. */
export interface RandomArrayOptions {
  seed?: number;
  /** 'uniform' in [min, max) (default -1..1) or 'normal' with mean 0 and `std`. */
  distribution?: 'uniform' | 'normal';
  min?: number;
  max?: number;
  std?: number;
}

/** Returns the number of elements of `shape` (1 for a scalar []). */
export function sizeOfShape(shape: readonly number[]): number {
  return shape.reduce((product, dimension) => product * dimension, 1);
}

/** Returns a Float32Array of `shape` (or of that many elements) filled with seeded random values. */
export function randomArray(shape: readonly number[] | number, options: RandomArrayOptions = {}): Float32Array {
  const size = typeof shape === 'number' ? shape : sizeOfShape(shape);
  const random = createRandom(options.seed ?? 1);
  const out = new Float32Array(size);
  if (options.distribution === 'normal') {
    const std = options.std ?? 1;
    for (let i = 0; i < size; i++) {
      const u = Math.max(random(), 1e-12);
      const v = random();
      out[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
    return out;
  }
  const min = options.min ?? -1;
  const max = options.max ?? 1;
  for (let i = 0; i < size; i++) out[i] = min + (max - min) * random();
  return out;
}

/** Returns an Int32Array of `size` seeded random integers in [0, high). */
export function randomIntegers(size: number, high: number, seed = 1): Int32Array {
  const random = createRandom(seed);
  const out = new Int32Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(random() * high);
  return out;
}
