// Shape legend: N rows (tokens), C channels. Plain float64 arithmetic over Float32Array inputs.

/** Inputs shared by the LayerNorm reference forward and backward. */
export interface LayerNormReferenceInput {
  x: Float32Array; // [N, C]
  weight: Float32Array; // [C]
  bias: Float32Array; // [C]
  rows: number;
  channels: number;
  eps: number;
}

function rowStatistics(x: Float32Array, base: number, channels: number, eps: number): { mean: number; inverseStd: number } {
  let sum = 0;
  for (let c = 0; c < channels; c++) sum += x[base + c]!;
  const mean = sum / channels;
  let sumSquares = 0;
  for (let c = 0; c < channels; c++) sumSquares += (x[base + c]! - mean) ** 2;
  return { mean, inverseStd: 1 / Math.sqrt(sumSquares / channels + eps) };
}

/** Returns y = (x - mean) / sqrt(var + eps) * weight + bias (biased variance), row by row, as [N, C]. */
export function layerNormReference({ x, weight, bias, rows, channels, eps }: LayerNormReferenceInput): Float32Array {
  const y = new Float32Array(rows * channels);
  for (let n = 0; n < rows; n++) {
    const base = n * channels;
    const { mean, inverseStd } = rowStatistics(x, base, channels, eps);
    for (let c = 0; c < channels; c++) y[base + c] = (x[base + c]! - mean) * inverseStd * weight[c]! + bias[c]!;
  }
  return y;
}

/** Returns the LayerNorm gradients { dx [N, C], dweight [C], dbias [C] } for the upstream gradient dy [N, C]. */
export function layerNormBackwardReference(input: LayerNormReferenceInput, dy: Float32Array): { dx: Float32Array; dweight: Float32Array; dbias: Float32Array } {
  const { x, weight, rows, channels, eps } = input;
  const dx = new Float32Array(rows * channels);
  const dweight = new Float64Array(channels);
  const dbias = new Float64Array(channels);
  for (let n = 0; n < rows; n++) {
    const base = n * channels;
    const { mean, inverseStd } = rowStatistics(x, base, channels, eps);
    // g = dy * weight, x̂ = (x - mean) * r; dx = r * (g - mean(g) - x̂ * mean(g * x̂))
    let sumGradient = 0;
    let sumGradientNormalized = 0;
    for (let c = 0; c < channels; c++) {
      const normalized = (x[base + c]! - mean) * inverseStd;
      const gradient = dy[base + c]! * weight[c]!;
      sumGradient += gradient;
      sumGradientNormalized += gradient * normalized;
      dweight[c] += dy[base + c]! * normalized;
      dbias[c] += dy[base + c]!;
    }
    const meanGradient = sumGradient / channels;
    const meanGradientNormalized = sumGradientNormalized / channels;
    for (let c = 0; c < channels; c++) {
      const normalized = (x[base + c]! - mean) * inverseStd;
      dx[base + c] = inverseStd * (dy[base + c]! * weight[c]! - meanGradient - normalized * meanGradientNormalized);
    }
  }
  return { dx, dweight: Float32Array.from(dweight), dbias: Float32Array.from(dbias) };
}
