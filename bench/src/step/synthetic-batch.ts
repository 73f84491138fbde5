/** A fixed synthetic training batch: seeded random token ids, every position trained, no padding. */
import type { TrainingBatch } from '@steerlm/sft/trainer';

/** Returns a full [B, T] batch over `vocabulary` ids (targets are the next ids, every target trained). */
export function syntheticBatch(B: number, T: number, vocabulary: number, seed = 1): TrainingBatch {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % vocabulary;
  };
  const size = B * T;
  const stream = Int32Array.from({ length: size + B }, next);
  const ids = new Int32Array(size);
  const targets = new Int32Array(size);
  const positions = new Int32Array(size);
  for (let row = 0; row < B; row++) {
    for (let t = 0; t < T; t++) {
      ids[row * T + t] = stream[row * (T + 1) + t]!;
      targets[row * T + t] = stream[row * (T + 1) + t + 1]!;
      positions[row * T + t] = t;
    }
  }
  return {
    B,
    T,
    ids,
    targets,
    lossMask: new Float32Array(size).fill(1),
    keyMask: new Float32Array(size).fill(1),
    segmentIds: new Int32Array(size),
    positions,
    trainedTokens: size,
    examples: Array.from({ length: B }, (_, row) => row),
  };
}
