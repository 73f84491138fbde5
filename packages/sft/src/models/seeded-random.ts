/** A small, fast, seedable PRNG (mulberry32); returns floats in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns `count` normal(0, std) samples from a seeded generator (Box-Muller). */
export function normalSamples(count: number, std: number, random: () => number): Float32Array {
  const out = new Float32Array(count);
  for (let index = 0; index < count; index += 2) {
    const u = Math.max(random(), 1e-12);
    const v = random();
    const radius = Math.sqrt(-2 * Math.log(u)) * std;
    out[index] = radius * Math.cos(2 * Math.PI * v);
    if (index + 1 < count) out[index + 1] = radius * Math.sin(2 * Math.PI * v);
  }
  return out;
}
