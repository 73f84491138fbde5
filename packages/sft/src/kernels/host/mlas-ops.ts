/**
 * The differentiable products of the host backends (cpu, wasm) on MLAS (mlas-gemm.ts): a 2-D
 * product with optional transposes, and the affine map x·W + b of GPT-2's Conv1D. Forward and
 * backward are MLAS Gemm calls on the tensors' memory (host-compute.ts); no transpose is ever
 * materialised, since Gemm reads either layout. Which engine the host products use is chosen here:
 * setHostMatmulEngine / STEERLM_HOST_MATMUL=mlas|backend (default: MLAS where it loads).
 *
 * Shape legend: M rows of the result, K reduction length, N columns.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError } from '@steerlm/core';
import { isHostBackend } from '../runtime/host-backend';
import { hostCompute } from './host-compute';
import { mlasAvailable, mlasGemm } from './mlas-gemm';

/** Which kernels run the matmuls of the host backends: onnxruntime's MLAS, or the tfjs backend's own (XNNPACK on wasm). */
export type HostMatmulEngine = 'mlas' | 'backend';

const ENGINES: readonly HostMatmulEngine[] = ['mlas', 'backend'];

function engineFromEnvironment(): HostMatmulEngine {
  const value = typeof process === 'undefined' ? undefined : process.env?.STEERLM_HOST_MATMUL;
  if (value === undefined || value === '' || value === 'auto') return 'mlas';
  if (!ENGINES.includes(value as HostMatmulEngine)) {
    throw new InvalidOptionError(`STEERLM_HOST_MATMUL="${value}" is not a host matmul engine`, {
      option: 'STEERLM_HOST_MATMUL',
      hint: 'use mlas, backend or auto',
    });
  }
  return value as HostMatmulEngine;
}

let engine: HostMatmulEngine | undefined;

/**
 * Sets the engine of the host backends' matmuls ('mlas' falls back to the backend where
 * onnxruntime-node does not load); returns the previous choice.
 */
export function setHostMatmulEngine(next: HostMatmulEngine): HostMatmulEngine {
  if (!ENGINES.includes(next)) {
    throw new InvalidOptionError(`unknown host matmul engine "${String(next)}"`, { option: 'hostMatmul', hint: `use one of ${ENGINES.join(', ')}` });
  }
  const previous = hostMatmulEngine();
  engine = next;
  return previous;
}

/** Returns the chosen engine of the host backends' matmuls (env STEERLM_HOST_MATMUL, default 'mlas'). */
export function hostMatmulEngine(): HostMatmulEngine {
  engine ??= engineFromEnvironment();
  return engine;
}

/** Returns true when the active backend's matmuls run on MLAS now (a host backend, MLAS chosen and loaded). */
export function usesMlas(): boolean {
  return isHostBackend() && hostMatmulEngine() === 'mlas' && mlasAvailable();
}

/** Returns op(a) · op(b) for 2-D a, b computed by MLAS, without gradient. */
function gemm(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor2D {
  const [M, K] = transposeA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const N = transposeB ? b.shape[0]! : b.shape[1]!;
  return hostCompute([a, b], [[M, N]], ([x, y], [c]) => {
    mlasGemm(x!, y!, c!, { M, K, N, transposeA, transposeB });
  })[0] as tf.Tensor2D;
}

/** Returns the gradients [dA, dB] (in the stored layouts of a and b) of op(a)·op(b) for the upstream dC. */
function gemmGradients(a: tf.Tensor, b: tf.Tensor, dC: tf.Tensor, transposeA: boolean, transposeB: boolean): [tf.Tensor2D, tf.Tensor2D] {
  // op(A)' = dC·op(B)ᵀ and op(B)' = op(A)ᵀ·dC, each written straight into the stored layout.
  const dA = transposeA ? gemm(b, dC, transposeB, true) : gemm(dC, b, false, !transposeB);
  const dB = transposeB ? gemm(dC, a, true, transposeA) : gemm(a, dC, !transposeA, false);
  return [dA, dB];
}

/** Returns op(a) · op(b) for 2-D a [M, K] (or [K, M]) and b [K, N] (or [N, K]) on MLAS, differentiable in both. */
export function mlasMatmul(a: tf.Tensor2D, b: tf.Tensor2D, transposeA = false, transposeB = false): tf.Tensor2D {
  const product = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, y] = args as [tf.Tensor2D, tf.Tensor2D];
    (args[2] as tf.GradSaveFunc)([x, y]);
    return {
      value: gemm(x, y, transposeA, transposeB),
      gradFunc: (dC: tf.Tensor, saved: tf.Tensor[]) => gemmGradients(saved[0]!, saved[1]!, dC, transposeA, transposeB),
    };
  });
  return product(a, b) as tf.Tensor2D;
}

const onesByLength = new Map<number, Float32Array>();

/** Returns a cached Float32Array of `length` ones (never written). */
function ones(length: number): Float32Array {
  let values = onesByLength.get(length);
  if (values === undefined) {
    values = new Float32Array(length).fill(1);
    onesByLength.set(length, values);
  }
  return values;
}

/** Returns the column sums [N] of a 2-D dy [M, N] (the bias gradient) as the product 1 [1, M] · dy on MLAS. */
function columnSums(dy: tf.Tensor): tf.Tensor1D {
  const [M, N] = [dy.shape[0]!, dy.shape[1]!];
  return hostCompute([dy], [[N]], ([values], [sums]) => {
    mlasGemm(ones(M), values!, sums!, { M: 1, K: M, N });
  })[0] as tf.Tensor1D;
}

/**
 * Returns x [M, K] · W [K, N] + b [N] (GPT-2 Conv1D layout) on MLAS: one Gemm with the bias row
 * forward; dx = dy·Wᵀ, dW = xᵀ·dy (Gemm with transposed operands) and db = 1ᵀ·dy backward.
 */
export function mlasAffine(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  const affine = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, kernel, shift] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    (args[3] as tf.GradSaveFunc)([input, kernel]);
    const [M, K] = input.shape;
    const N = kernel.shape[1];
    const value = hostCompute([input, kernel, shift], [[M, N]], ([a, b, c], [out]) => {
      mlasGemm(a!, b!, out!, { M, K, N }, c!);
    })[0]!;
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [dInput, dKernel] = gemmGradients(saved[0]!, saved[1]!, dy, false, false);
        return [dInput, dKernel, columnSums(dy)];
      },
    };
  });
  return affine(x, weight, bias) as tf.Tensor2D;
}
