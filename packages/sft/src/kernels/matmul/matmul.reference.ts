/**
 * Shape legend: B batch, M rows of op(A) and C, K reduction length, N columns of op(B) and C.
 * C[b] = op(A[b]) · op(B[b]) where op(X) = X or Xᵀ. A is stored [B, M, K] ([B, K, M] when
 * transposed) or without the batch axis (shared by every batch); B is stored [B, K, N] ([B, N, K]
 * when transposed) or shared [K, N]. Reference forward and backward over Float32Array, accumulated
 * in float64.
 */
import { ShapeError } from '@steerlm/core';

/** The resolved dimensions of one matmul. */
export interface MatmulDims {
  batch: number;
  M: number;
  K: number;
  N: number;
  transposeA: boolean;
  transposeB: boolean;
  /** Whether A / B carry a batch axis (false: shared by every batch). */
  batchedA: boolean;
  batchedB: boolean;
}

/** Returns the dims of op(A)·op(B) for stored shapes aShape, bShape (rank 2 or 3), or throws ShapeError. */
export function matmulDims(aShape: readonly number[], bShape: readonly number[], transposeA = false, transposeB = false): MatmulDims {
  if (aShape.length < 2 || aShape.length > 3 || bShape.length < 2 || bShape.length > 3) {
    throw new ShapeError(`matmul takes rank-2 or rank-3 operands, got A [${aShape.join(', ')}] and B [${bShape.join(', ')}]`, {
      hint: 'reshape the leading axes into one batch axis',
    });
  }
  const batchedA = aShape.length === 3;
  const batchedB = bShape.length === 3;
  const batchA = batchedA ? aShape[0]! : 1;
  const batchB = batchedB ? bShape[0]! : 1;
  if (batchedA && batchedB && batchA !== batchB) {
    throw new ShapeError(`matmul batch sizes differ: A has ${batchA}, B has ${batchB}`, {
      hint: 'give both operands the same batch size, or a rank-2 operand to share it',
    });
  }
  const [aRows, aCols] = aShape.slice(-2) as [number, number];
  const [bRows, bCols] = bShape.slice(-2) as [number, number];
  const M = transposeA ? aCols : aRows;
  const KA = transposeA ? aRows : aCols;
  const KB = transposeB ? bCols : bRows;
  const N = transposeB ? bRows : bCols;
  if (KA !== KB) {
    throw new ShapeError(
      `matmul inner dimensions differ: op(A) is [${M}, ${KA}] and op(B) is [${KB}, ${N}] (A [${aShape.join(', ')}]${transposeA ? 'ᵀ' : ''}, B [${bShape.join(', ')}]${transposeB ? 'ᵀ' : ''})`,
      { hint: 'check transposeA / transposeB' },
    );
  }
  return { batch: Math.max(batchA, batchB), M, K: KA, N, transposeA, transposeB, batchedA, batchedB };
}

/** Returns the shape of C: [B, M, N] when either operand is batched, else [M, N]. */
export function matmulOutputShape(dims: MatmulDims): number[] {
  return dims.batchedA || dims.batchedB ? [dims.batch, dims.M, dims.N] : [dims.M, dims.N];
}

function indexA(dims: MatmulDims, batch: number, row: number, k: number): number {
  const base = dims.batchedA ? batch * dims.M * dims.K : 0;
  return base + (dims.transposeA ? k * dims.M + row : row * dims.K + k);
}

function indexB(dims: MatmulDims, batch: number, k: number, column: number): number {
  const base = dims.batchedB ? batch * dims.K * dims.N : 0;
  return base + (dims.transposeB ? column * dims.K + k : k * dims.N + column);
}

/** Returns C = op(A) · op(B), shape [B, M, N] flattened. */
export function matmulReference(a: Float32Array, b: Float32Array, dims: MatmulDims): Float32Array {
  const { batch, M, K, N } = dims;
  const c = new Float32Array(batch * M * N);
  for (let p = 0; p < batch; p++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++) sum += a[indexA(dims, p, i, k)]! * b[indexB(dims, p, k, j)]!;
        c[(p * M + i) * N + j] = sum;
      }
    }
  }
  return c;
}

/** Returns dA and dB (in A's and B's stored layouts; summed over the batch for a shared operand) given dC. */
export function matmulBackwardReference(a: Float32Array, b: Float32Array, dC: Float32Array, dims: MatmulDims): { dA: Float32Array; dB: Float32Array } {
  const { batch, M, K, N } = dims;
  const dA = new Float64Array(a.length);
  const dB = new Float64Array(b.length);
  for (let p = 0; p < batch; p++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        const g = dC[(p * M + i) * N + j]!;
        if (g === 0) continue;
        for (let k = 0; k < K; k++) {
          dA[indexA(dims, p, i, k)] += g * b[indexB(dims, p, k, j)]!;
          dB[indexB(dims, p, k, j)] += g * a[indexA(dims, p, i, k)]!;
        }
      }
    }
  }
  return { dA: Float32Array.from(dA), dB: Float32Array.from(dB) };
}
