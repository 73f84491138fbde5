// Shape legend: N rows (tokens), C channels.
// LayerNorm for the host-side backends (cpu, wasm): forward and backward are one loop each over
// Float32Arrays (float64 row sums), in place of the composed version's taped tfjs ops and their
// autodiff, which on wasm also copy every saved input and reduce over rows through transposes.
import * as tf from '@tensorflow/tfjs';
import { acquireBuffer, borrowValues, outputBuffer, releaseBuffer } from '../host';

/** Returns (x - mean) * rsqrt(var + eps) * weight + bias over the rows of x [N, C] (biased variance), with its gradient. */
export function layerNormHost(x: tf.Tensor2D, weight: tf.Tensor1D, bias: tf.Tensor1D, eps: number): tf.Tensor2D {
  const withGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, gain, shift] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
    const [rows, channels] = input.shape;
    const values = borrowValues(input);
    const gains = gain.dataSync() as Float32Array;
    const shifts = shift.dataSync() as Float32Array;
    const normalised = acquireBuffer(rows * channels);
    const inverseStds = acquireBuffer(rows);
    const out = outputBuffer(rows * channels);
    for (let row = 0; row < rows; row++) {
      const start = row * channels;
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += values[start + c]!;
      const mean = sum / channels;
      let squares = 0;
      for (let c = 0; c < channels; c++) {
        const centred = values[start + c]! - mean;
        squares += centred * centred;
      }
      const inverseStd = 1 / Math.sqrt(squares / channels + eps);
      inverseStds[row] = inverseStd;
      for (let c = 0; c < channels; c++) {
        const xHat = (values[start + c]! - mean) * inverseStd;
        normalised[start + c] = xHat;
        out[start + c] = xHat * gains[c]! + shifts[c]!;
      }
    }
    return {
      value: tf.tensor2d(out, [rows, channels]),
      gradFunc: (dy: tf.Tensor) => {
        // dx = rstd · (g - mean(g) - x̂ · mean(g ∘ x̂)) with g = dy ∘ weight; dweight = Σ dy ∘ x̂; dbias = Σ dy.
        const upstream = borrowValues(dy);
        const dx = outputBuffer(rows * channels);
        const dGain = new Float64Array(channels);
        const dShift = new Float64Array(channels);
        for (let row = 0; row < rows; row++) {
          const start = row * channels;
          let gradientSum = 0;
          let projection = 0;
          for (let c = 0; c < channels; c++) {
            const upstreamValue = upstream[start + c]!;
            const xHat = normalised[start + c]!;
            const scaled = upstreamValue * gains[c]!;
            gradientSum += scaled;
            projection += scaled * xHat;
            dGain[c]! += upstreamValue * xHat;
            dShift[c]! += upstreamValue;
          }
          const meanGradient = gradientSum / channels;
          const meanProjection = projection / channels;
          const inverseStd = inverseStds[row]!;
          for (let c = 0; c < channels; c++) {
            dx[start + c] = inverseStd * (upstream[start + c]! * gains[c]! - meanGradient - normalised[start + c]! * meanProjection);
          }
        }
        releaseBuffer(normalised, inverseStds);
        return [tf.tensor2d(dx, [rows, channels]), tf.tensor1d(Float32Array.from(dGain)), tf.tensor1d(Float32Array.from(dShift))];
      },
    };
  });
  return withGradient(x, weight, bias) as tf.Tensor2D;
}
