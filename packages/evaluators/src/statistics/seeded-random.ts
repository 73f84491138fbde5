/** A deterministic pseudo-random source of floats in [0, 1). */
export type RandomSource = () => number;

/** Returns a seeded mulberry32 generator: the same seed always gives the same sequence. */
export function seededRandom(seed: number): RandomSource {
  let state = Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns an integer in [0, bound) drawn from `random`. */
export function randomInteger(random: RandomSource, bound: number): number {
  return Math.floor(random() * bound);
}

/** Shuffles `items` in place (Fisher–Yates) and returns them. */
export function shuffleInPlace<T>(items: T[], random: RandomSource): T[] {
  for (let index = items.length - 1; index > 0; index -= 1) {
    const other = randomInteger(random, index + 1);
    const held = items[index]!;
    items[index] = items[other]!;
    items[other] = held;
  }
  return items;
}
