// Shape legend: B batch, H heads, T time steps, D head dimension (even); pairs (i, i + D/2) rotate together.
// The rotary embedding for the host-side backends (cpu, wasm): one loop over the tensor's memory
// (host-compute.ts) with a cos/sin table per (b, t), forward and backward (the inverse rotation), in place
// of the composed version's cast, cos, sin, split, four products and concat, their autodiff and the copies
// of their saved inputs on wasm. Angles are the float32 product position · inverseFrequency, as in HF.
import * as tf from '@tensorflow/tfjs';
import { hostCompute } from '../host/host-compute';

/** Returns the [B, T, D/2] cosines and sines of positions [B, T] · inverseFrequencies [D/2]. */
function angleTable(positions: Int32Array, inverseFrequencies: Float32Array): { cosines: Float32Array; sines: Float32Array } {
  const half = inverseFrequencies.length;
  const cosines = new Float32Array(positions.length * half);
  const sines = new Float32Array(positions.length * half);
  for (let p = 0; p < positions.length; p++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(positions[p]! * inverseFrequencies[i]!);
      cosines[p * half + i] = Math.cos(angle);
      sines[p * half + i] = Math.sin(angle);
    }
  }
  return { cosines, sines };
}

/** Writes x [B, H, T, D] rotated by `direction` (1 forward, -1 the inverse rotation) into `out`. */
function rotate(x: Float32Array, out: Float32Array, shape: readonly number[], table: { cosines: Float32Array; sines: Float32Array }, direction: 1 | -1): void {
  const [batch, heads, time, headDimension] = shape as [number, number, number, number];
  const half = headDimension / 2;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let t = 0; t < time; t++) {
        const row = ((b * heads + h) * time + t) * headDimension;
        const angles = (b * time + t) * half;
        for (let i = 0; i < half; i++) {
          const cosine = table.cosines[angles + i]!;
          const sine = direction * table.sines[angles + i]!;
          const first = x[row + i]!;
          const second = x[row + half + i]!;
          out[row + i] = first * cosine - second * sine;
          out[row + half + i] = second * cosine + first * sine;
        }
      }
    }
  }
}

/** Returns x [B, H, T, D] rotated by int32 positions [B, T] · inverseFrequencies [D/2], differentiable in x. */
export function ropeHost(x: tf.Tensor4D, positions: tf.Tensor2D, inverseFrequencies: tf.Tensor1D): tf.Tensor4D {
  const withGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, at, frequencies] = args as [tf.Tensor4D, tf.Tensor2D, tf.Tensor1D];
    const table = angleTable(at.dataSync() as Int32Array, frequencies.dataSync() as Float32Array);
    const [value] = hostCompute([input], [input.shape], ([values], [out]) => rotate(values!, out!, input.shape, table, 1));
    return {
      value: value!,
      gradFunc: (dy: tf.Tensor) => {
        const [dx] = hostCompute([dy], [input.shape], ([upstream], [out]) => rotate(upstream!, out!, input.shape, table, -1));
        return [dx!, tf.zeros(at.shape), tf.zeros(frequencies.shape)];
      },
    };
  });
  return withGradient(x, positions, inverseFrequencies) as tf.Tensor4D;
}
