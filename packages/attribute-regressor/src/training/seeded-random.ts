import { seededRandom, shuffleInPlace, type RandomSource } from '@steerlm/core';

/** A deterministic pseudo-random generator (mulberry32) so that training is reproducible from a seed. */
export class SeededRandom {
  /** Returns the next float in [0, 1) (core's mulberry32, seed mixed with the golden ratio). */
  readonly next: RandomSource;

  constructor(seed: number) {
    this.next = seededRandom(Math.trunc(seed) ^ 0x9e3779b9);
  }

  /** Returns a normally distributed float (Box–Muller) with mean 0 and standard deviation 1. */
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Returns the array shuffled in place (Fisher–Yates) and also returns it. */
  shuffle<T>(items: T[]): T[] {
    return shuffleInPlace(items, this.next);
  }
}
