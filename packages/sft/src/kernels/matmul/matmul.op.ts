/**
 * Shape legend: B batch, M rows of C, K reduction length, N columns of C (see matmul.reference.ts).
 * The matmul op: WGSL on webgpu (variant chosen explicitly or from the precision), tf.matMul
 * elsewhere, gradient registered for the kernel and built from the op itself.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError } from '@steerlm/core';
import { defineFusedOp, runProgram, webgpuFeatures } from '../runtime';
import { matmulDims, type MatmulDims } from './matmul.reference';
import { assertMatmulVariant, f16SubgroupMatrixConfig } from './matmul.variant';
import { subgroupMatrixMatmulProgram, tiledMatmulProgram, type MatmulVariant } from './matmul.wgsl';

/** Options of matmul. */
export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  /** WebGPU variant (default 'tiled-f32'); ignored on other backends, which compute in f32. */
  variant?: MatmulVariant;
}

interface MatmulAttributes {
  transposeA: boolean;
  transposeB: boolean;
  variant: MatmulVariant;
}

const VARIANTS: readonly MatmulVariant[] = ['tiled-f32', 'tiled-f16', 'subgroup-matrix-f16'];

/** Returns op(x) · op(y) with tf.matMul, sharing a rank-2 operand across the other's batch. */
function composedMatmul(a: tf.Tensor, b: tf.Tensor, dims: MatmulDims): tf.Tensor {
  return tf.tidy(() => {
    if (dims.batchedA === dims.batchedB) return tf.matMul(a, b, dims.transposeA, dims.transposeB);
    const a3 = dims.batchedA ? a : tf.broadcastTo(tf.expandDims(a, 0), [dims.batch, ...a.shape]);
    const b3 = dims.batchedB ? b : tf.broadcastTo(tf.expandDims(b, 0), [dims.batch, ...b.shape]);
    return tf.matMul(a3, b3, dims.transposeA, dims.transposeB);
  });
}

const matmulOp = defineFusedOp<MatmulAttributes>({
  name: 'SteerLMMatMul',
  inputNames: ['a', 'b'],
  webgpu: ([a, b], { transposeA, transposeB, variant }, backend) => {
    const dims = matmulDims(a!.shape, b!.shape, transposeA, transposeB);
    const features = webgpuFeatures(backend);
    assertMatmulVariant(variant, features);
    const program =
      variant === 'subgroup-matrix-f16'
        ? subgroupMatrixMatmulProgram(dims, f16SubgroupMatrixConfig(features)!, features.subgroupMaxSize)
        : tiledMatmulProgram(dims, variant === 'tiled-f16');
    return runProgram(program, [a!, b!], backend);
  },
  fallback: ([a, b], { transposeA, transposeB }) => [composedMatmul(a!, b!, matmulDims(a!.shape, b!.shape, transposeA, transposeB))],
  gradient: ([dC], { inputs: [a, b] }, attributes) => {
    const { transposeA, transposeB, variant } = attributes;
    const dims = matmulDims(a!.shape, b!.shape, transposeA, transposeB);
    const run = (x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean): tf.Tensor => matmul(x, y, { transposeA: tx, transposeB: ty, variant });
    // op(A)' = dC · op(B)ᵀ, op(B)' = op(A)ᵀ · dC, then undo the transposes of the stored layouts.
    let dA = transposeA ? run(b!, dC!, transposeB, true) : run(dC!, b!, false, !transposeB);
    let dB = transposeB ? run(dC!, a!, true, transposeA) : run(a!, dC!, !transposeA, false);
    if (!dims.batchedA && dA.rank === 3) dA = tf.sum(dA, 0);
    if (!dims.batchedB && dB.rank === 3) dB = tf.sum(dB, 0);
    return [dA, dB];
  },
});

/**
 * Returns op(A) · op(B) for A [B, M, K] or [M, K] and B [B, K, N] or [K, N] (op = optional
 * transpose of the last two axes); a rank-2 operand is shared by every batch.
 */
export function matmul(a: tf.Tensor, b: tf.Tensor, options: MatmulOptions = {}): tf.Tensor {
  const variant = options.variant ?? 'tiled-f32';
  if (!VARIANTS.includes(variant)) {
    throw new InvalidOptionError(`unknown matmul variant "${String(variant)}"`, { option: 'variant', hint: `use one of ${VARIANTS.join(', ')}` });
  }
  const attributes: MatmulAttributes = { transposeA: options.transposeA ?? false, transposeB: options.transposeB ?? false, variant };
  const dims = matmulDims(a.shape, b.shape, attributes.transposeA, attributes.transposeB);
  // A batched, not transposed, B shared: one [B·M, K] × [K, N] product (better tiles, no batch sum in backward).
  if (dims.batchedA && !dims.batchedB && !attributes.transposeA) {
    return tf.tidy(() => {
      const flat = tf.reshape(a, [dims.batch * dims.M, dims.K]);
      return tf.reshape(matmulOp([flat, b], attributes)[0]!, [dims.batch, dims.M, dims.N]);
    });
  }
  return matmulOp([a, b], attributes)[0]!;
}

/** Returns true when matmul runs its WGSL kernel on the active backend. */
export function matmulUsesKernel(): boolean {
  return matmulOp.usesKernel();
}
