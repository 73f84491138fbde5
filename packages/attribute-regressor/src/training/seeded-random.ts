import { seededRandom, type RandomSource } from '@steerlm/core';

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
    for (let index = items.length - 1; index > 0; index -= 1) {
      const other = Math.floor(this.next() * (index + 1));
      [items[index], items[other]] = [items[other]!, items[index]!];
    }
    return items;
  }
}

/** Returns a 32-bit FNV-1a hash of `text` mixed with `seed`. */
export function hashString(text: string, seed = 0): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  return hash >>> 0;
}
