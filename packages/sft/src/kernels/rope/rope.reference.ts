// Shape legend: B batch, H heads, T time steps, D head dimension (even); pairs (i, i + D/2) rotate together.

/** Inputs of the rotary-embedding reference. */
export interface RopeReferenceInput {
  x: Float32Array; // [B, H, T, D]
  batch: number;
  heads: number;
  time: number;
  headDimension: number;
  positions: Int32Array; // [B, T]
  inverseFrequencies: Float32Array; // [D/2]
}

function rotate(input: RopeReferenceInput, direction: 1 | -1): Float32Array {
  const { x, batch, heads, time, headDimension, positions, inverseFrequencies } = input;
  const half = headDimension / 2;
  const y = new Float32Array(x.length);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let t = 0; t < time; t++) {
        const base = ((b * heads + h) * time + t) * headDimension;
        const position = positions[b * time + t]!;
        for (let i = 0; i < half; i++) {
          // The angle is a float32 product, as in HF (inv_freq.float() @ position_ids.float()).
          const angle = Math.fround(position * inverseFrequencies[i]!);
          const cos = Math.cos(angle);
          const sin = direction * Math.sin(angle);
          const first = x[base + i]!;
          const second = x[base + i + half]!;
          y[base + i] = first * cos - second * sin;
          y[base + i + half] = second * cos + first * sin;
        }
      }
    }
  }
  return y;
}

/** Returns x rotated by position * inverseFrequencies: y = x * cos + rotate_half(x) * sin, [B, H, T, D]. */
export function ropeReference(input: RopeReferenceInput): Float32Array {
  return rotate(input, 1);
}

/** Returns dx for upstream dy [B, H, T, D]: dy rotated by the inverse (negative) angles. */
export function ropeBackwardReference(input: RopeReferenceInput, dy: Float32Array): Float32Array {
  return rotate({ ...input, x: dy }, -1);
}
