/** Returns the 32-bit FNV-1a hash of `text` (stable across runs and platforms). */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Returns a 32-bit hash of `text` mixed with `seed`: FNV-1a started from the seed, then an avalanche
 * finish (xor-shift/multiply), so nearby texts and seeds spread over all bits. Stable across runs and
 * platforms; the hashed n-gram featurizer's buckets depend on it, so it must never change.
 */
export function hashStringSeeded(text: string, seed = 0): number {
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
