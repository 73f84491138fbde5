// Shape legend: N rows (tokens), C channels.
// RMSNorm for the host-side backends (cpu, wasm): one loop forward and one backward over the tensors'
// memory (host-compute.ts; float64 row sums), in place of the composed version's taped tfjs ops (square,
// mean, rsqrt, two broadcast products) and their autodiff, which on wasm copy every saved input.
import * as tf from '@tensorflow/tfjs';
import { acquireBuffer, releaseBuffer } from '../host';
import { hostCompute } from '../host/host-compute';

/** Returns x · rsqrt(mean(x²) + eps) · weight over the rows of x [N, C], with its gradient. */
export function rmsNormHost(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  const withGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, gain] = args as [tf.Tensor2D, tf.Tensor1D];
    const [rows, channels] = input.shape;
    // Kept for the backward: x̂ = x · r and r per row.
    const normalised = acquireBuffer(rows * channels);
    const inverseRms = acquireBuffer(rows);
    const [value] = hostCompute([input, gain], [[rows, channels]], ([values, gains], [out]) => {
      for (let row = 0; row < rows; row++) {
        const start = row * channels;
        let squares = 0;
        for (let c = 0; c < channels; c++) squares += values![start + c]! * values![start + c]!;
        const r = 1 / Math.sqrt(squares / channels + eps);
        inverseRms[row] = r;
        for (let c = 0; c < channels; c++) {
          const xHat = values![start + c]! * r;
          normalised[start + c] = xHat;
          out![start + c] = xHat * gains![c]!;
        }
      }
    });
    return {
      value: value!,
      gradFunc: (dy: tf.Tensor) => {
        // dx = r · (g − x̂ · mean(g ∘ x̂)) with g = dy ∘ weight; dweight = Σ_rows dy ∘ x̂.
        const gradients = hostCompute([dy, gain], [[rows, channels], [channels]], ([upstream, gains], [dx, dGain]) => {
          const gainSums = new Float64Array(channels);
          for (let row = 0; row < rows; row++) {
            const start = row * channels;
            let projection = 0;
            for (let c = 0; c < channels; c++) {
              const upstreamValue = upstream![start + c]!;
              const xHat = normalised[start + c]!;
              projection += upstreamValue * gains![c]! * xHat;
              gainSums[c]! += upstreamValue * xHat;
            }
            const meanProjection = projection / channels;
            const r = inverseRms[row]!;
            for (let c = 0; c < channels; c++) dx![start + c] = r * (upstream![start + c]! * gains![c]! - normalised[start + c]! * meanProjection);
          }
          dGain!.set(gainSums);
        });
        releaseBuffer(normalised, inverseRms);
        return gradients;
      },
    };
  });
  return withGradient(x, weight) as tf.Tensor2D;
}
