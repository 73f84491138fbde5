/**
 * Shape legend: N rows of x, K input features, M output features.
 * Float64 reference of the fused linear layer y = act(x·W + b) + residual (W [K, M], GPT-2's Conv1D
 * layout, or [M, K] with transposeWeight, Hugging Face's Linear layout) and of its gradients.
 */
import { geluBackwardReference, geluReference, type GeluApproximation } from '../activations/activations.reference';

/** The sizes and options of one linear layer. */
export interface LinearShape {
  N: number;
  K: number;
  M: number;
  transposeWeight: boolean;
  activation: GeluApproximation | 'none';
  residual: boolean;
}

function weightAt(weight: ArrayLike<number>, shape: LinearShape, k: number, m: number): number {
  return shape.transposeWeight ? weight[m * shape.K + k]! : weight[k * shape.M + m]!;
}

/** Returns the pre-activation x·W + b [N, M] and the output act(pre) + residual. */
export function linearReference(
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
  residual: ArrayLike<number> | null,
  shape: LinearShape,
): { pre: Float32Array; y: Float32Array } {
  const { N, K, M } = shape;
  const pre = new Float32Array(N * M);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      let sum = bias[m]!;
      for (let k = 0; k < K; k++) sum += x[n * K + k]! * weightAt(weight, shape, k, m);
      pre[n * M + m] = sum;
    }
  }
  const activated = shape.activation === 'none' ? pre : geluReference(pre, shape.activation);
  const y = Float32Array.from(activated, (value, index) => value + (residual ? residual[index]! : 0));
  return { pre, y };
}

/** Returns the gradients of Σ y·dy with respect to x, W (in its own layout), b and the residual. */
export function linearBackwardReference(
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  pre: Float32Array,
  dy: Float32Array,
  shape: LinearShape,
): { dx: Float32Array; dWeight: Float32Array; dBias: Float32Array; dResidual: Float32Array } {
  const { N, K, M } = shape;
  const dz = shape.activation === 'none' ? dy : geluBackwardReference(pre, dy, shape.activation);
  const dx = new Float32Array(N * K);
  const dWeight = new Float32Array(K * M);
  const dBias = new Float32Array(M);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      let sum = 0;
      for (let m = 0; m < M; m++) sum += dz[n * M + m]! * weightAt(weight, shape, k, m);
      dx[n * K + k] = sum;
    }
  }
  for (let k = 0; k < K; k++) {
    for (let m = 0; m < M; m++) {
      let sum = 0;
      for (let n = 0; n < N; n++) sum += x[n * K + k]! * dz[n * M + m]!;
      dWeight[shape.transposeWeight ? m * K + k : k * M + m] = sum;
    }
  }
  for (let m = 0; m < M; m++) {
    let sum = 0;
    for (let n = 0; n < N; n++) sum += dz[n * M + m]!;
    dBias[m] = sum;
  }
  return { dx, dWeight, dBias, dResidual: Float32Array.from(dy) };
}
