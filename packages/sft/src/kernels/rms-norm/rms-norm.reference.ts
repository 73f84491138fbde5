// Shape legend: N rows (tokens), C channels. Plain float64 arithmetic over Float32Array inputs.

/** Inputs shared by the RMSNorm reference forward and backward. */
export interface RmsNormReferenceInput {
  x: Float32Array; // [N, C]
  weight: Float32Array; // [C]
  rows: number;
  channels: number;
  eps: number;
}

/** Returns y = x / sqrt(mean(x²) + eps) * weight, row by row, as [N, C]. */
export function rmsNormReference({ x, weight, rows, channels, eps }: RmsNormReferenceInput): Float32Array {
  const y = new Float32Array(rows * channels);
  for (let n = 0; n < rows; n++) {
    const base = n * channels;
    let sumSquares = 0;
    for (let c = 0; c < channels; c++) sumSquares += x[base + c]! * x[base + c]!;
    const inverseRms = 1 / Math.sqrt(sumSquares / channels + eps);
    for (let c = 0; c < channels; c++) y[base + c] = x[base + c]! * inverseRms * weight[c]!;
  }
  return y;
}

/** Returns the RMSNorm gradients { dx [N, C], dweight [C] } for the upstream gradient dy [N, C]. */
export function rmsNormBackwardReference(input: RmsNormReferenceInput, dy: Float32Array): { dx: Float32Array; dweight: Float32Array } {
  const { x, weight, rows, channels, eps } = input;
  const dx = new Float32Array(rows * channels);
  const dweight = new Float64Array(channels);
  for (let n = 0; n < rows; n++) {
    const base = n * channels;
    let sumSquares = 0;
    for (let c = 0; c < channels; c++) sumSquares += x[base + c]! * x[base + c]!;
    const inverseRms = 1 / Math.sqrt(sumSquares / channels + eps);
    // g = dy * weight; dx = r * g - x * r³ * mean(g * x)
    let dotGradientInput = 0;
    for (let c = 0; c < channels; c++) dotGradientInput += dy[base + c]! * weight[c]! * x[base + c]!;
    const correction = (inverseRms * inverseRms * inverseRms * dotGradientInput) / channels;
    for (let c = 0; c < channels; c++) {
      dx[base + c] = inverseRms * dy[base + c]! * weight[c]! - x[base + c]! * correction;
      dweight[c] += dy[base + c]! * x[base + c]! * inverseRms;
    }
  }
  return { dx, dweight: Float32Array.from(dweight) };
}
