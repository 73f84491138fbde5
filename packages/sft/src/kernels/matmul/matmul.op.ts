/**
 * Shape legend: B batch, M rows of C, K reduction length, N columns of C (see matmul.reference.ts).
 * The matmul op: WGSL on webgpu (variant chosen explicitly or from the precision), tf.matMul
 * elsewhere, gradient registered for the kernel and built from the op itself.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError } from '@steerlm/core';
import { mlasMatmul, usesMlas } from '../host/mlas-ops';
import { activeMixedPrecision, defineFusedOp, runProgram, webgpuFeatures } from '../runtime';
import { matmulDims, type MatmulDims } from './matmul.reference';
import { registerSubgroupMatrixSelfTest } from './matmul-self-test';
import { assertMatmulVariant, chooseMatmulVariant, f16SubgroupMatrixConfig } from './matmul.variant';
import { tiledMatmulProgram, type MatmulVariant } from './matmul.wgsl';
import { subgroupMatrixMatmulProgram } from './mma-gemm.wgsl';

/** Options of matmul. */
export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  /** WebGPU variant (default: from `precision`); ignored on other backends, which compute in f32. */
  variant?: MatmulVariant;
  /**
   * Without `variant`: 'f32' (default) runs 'tiled-f32'; 'f16' (f16 operands, f32 accumulation) runs
   * chooseMatmulVariant's pick: subgroup matrices when the device offers them and their self-test
   * passed, else the tiled f16 kernel (f32 where the device lacks shader-f16).
   */
  precision?: 'f32' | 'f16';
}

interface MatmulAttributes {
  transposeA: boolean;
  transposeB: boolean;
  variant: MatmulVariant;
}

registerSubgroupMatrixSelfTest();

const VARIANTS: readonly MatmulVariant[] = ['tiled-f32', 'tiled-f16', 'subgroup-matrix-f16'];

/** Returns x with its last two axes swapped. */
function swapLastAxes(x: tf.Tensor): tf.Tensor {
  return x.rank === 2 ? tf.transpose(x) : tf.transpose(x, [...x.shape.slice(0, -2).map((_, axis) => axis), x.rank - 1, x.rank - 2]);
}

/**
 * Returns true when op(x)·op(y) is cheaper on wasm as (op(y)ᵀ·op(x)ᵀ)ᵀ, counting the elements each
 * way has to transpose (an operand given transposed, or the swapped product's result). E.g. a weight
 * gradient xᵀ·dy with x [1024, 512], dy [1024, 128]: 524k elements directly, 196k swapped.
 */
function swappedIsCheaper(xSize: number, ySize: number, resultSize: number, transposeX: boolean, transposeY: boolean): boolean {
  const direct = (transposeX ? xSize : 0) + (transposeY ? ySize : 0);
  const swapped = (transposeY ? 0 : ySize) + (transposeX ? 0 : xSize) + resultSize;
  return swapped < direct;
}

/**
 * Returns op(x) · op(y) with tf.matMul, sharing a rank-2 operand across the other's batch. On wasm a
 * transposed operand is materialised first: its BatchMatMul runs XNNPACK only for untransposed
 * operands and falls back to a ~10x slower loop otherwise (2.5 vs 26 GFLOP/s measured), while the
 * transpose itself costs a memory pass.
 */
function composedMatmul(a: tf.Tensor, b: tf.Tensor, dims: MatmulDims): tf.Tensor {
  return tf.tidy(() => {
    let [x, y, transposeX, transposeY] = [a, b, dims.transposeA, dims.transposeB];
    if (tf.getBackend() === 'wasm' && x.rank === 2 && y.rank === 2 && swappedIsCheaper(x.size, y.size, dims.M * dims.N, transposeX, transposeY)) {
      // op(x)·op(y) = (op(y)ᵀ·op(x)ᵀ)ᵀ when that moves fewer elements through transposes.
      return tf.transpose(tf.matMul(transposeY ? y : tf.transpose(y), transposeX ? x : tf.transpose(x)));
    }
    if (tf.getBackend() === 'wasm') {
      if (transposeX) [x, transposeX] = [swapLastAxes(x), false];
      if (transposeY) [y, transposeY] = [swapLastAxes(y), false];
    }
    if (dims.batchedA === dims.batchedB) return tf.matMul(x, y, transposeX, transposeY);
    if (!dims.batchedB && !transposeX) {
      // A batched, B shared: one [B·M, K] × [K, N] product.
      return tf.reshape(tf.matMul(tf.reshape(x, [dims.batch * dims.M, dims.K]), y, false, transposeY), [dims.batch, dims.M, dims.N]);
    }
    const x3 = dims.batchedA ? x : tf.broadcastTo(tf.expandDims(x, 0), [dims.batch, ...x.shape]);
    const y3 = dims.batchedB ? y : tf.broadcastTo(tf.expandDims(y, 0), [dims.batch, ...y.shape]);
    return tf.matMul(x3, y3, transposeX, transposeY);
  });
}

/**
 * Returns composedMatmul with its gradient written with composedMatmul too (tfjs's own BatchMatMul
 * gradient multiplies transposed operands, the slow case on wasm).
 */
function composedMatmulWithGradient(a: tf.Tensor, b: tf.Tensor, dims: MatmulDims): tf.Tensor {
  const product = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, y] = args as [tf.Tensor, tf.Tensor];
    const save = args[2] as tf.GradSaveFunc;
    save([x, y]);
    return {
      value: composedMatmul(x, y, dims),
      gradFunc: (dC: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedA, savedB] = saved as [tf.Tensor, tf.Tensor];
        const run = (p: tf.Tensor, q: tf.Tensor, tp: boolean, tq: boolean) => composedMatmul(p, q, matmulDims(p.shape, q.shape, tp, tq));
        const { transposeA, transposeB } = dims;
        let dA = transposeA ? run(savedB, dC, transposeB, true) : run(dC, savedB, false, !transposeB);
        let dB = transposeB ? run(dC, savedA, true, transposeA) : run(savedA, dC, !transposeA, false);
        if (!dims.batchedA && dA.rank === 3) dA = tf.sum(dA, 0);
        if (!dims.batchedB && dB.rank === 3) dB = tf.sum(dB, 0);
        return [dA, dB];
      },
    };
  });
  return product(a, b);
}

const matmulOp = defineFusedOp<MatmulAttributes>({
  name: 'SteerLMMatMul',
  inputNames: ['a', 'b'],
  webgpu: ([a, b], { transposeA, transposeB, variant }, backend) => {
    const dims = matmulDims(a!.shape, b!.shape, transposeA, transposeB);
    const features = webgpuFeatures(backend);
    assertMatmulVariant(variant, features);
    if (variant === 'subgroup-matrix-f16') {
      // Reads the f32 operands (converted to f16 as they load), also in mixed precision.
      const program = subgroupMatrixMatmulProgram(
        dims,
        f16SubgroupMatrixConfig(features)!,
        features.subgroupMaxSize,
        {},
        features.maxComputeWorkgroupStorageSize,
      );
      return runProgram(program, [a!, b!], backend);
    }
    // In mixed precision, an operand with an f16 working copy (a weight) is read from it.
    const scope = variant === 'tiled-f16' ? activeMixedPrecision() : null;
    const halfA = scope?.halfCopyOf(a!.dataId);
    const halfB = scope?.halfCopyOf(b!.dataId);
    const program = tiledMatmulProgram(dims, variant === 'tiled-f16', {}, { a: halfA !== undefined, b: halfB !== undefined });
    return runProgram(program, [halfA ?? a!, halfB ?? b!], backend);
  },
  // cpu/wasm: 2-D products on MLAS when it loads (kernels/host/mlas-ops.ts), else the composed path.
  host: ([a, b], { transposeA, transposeB }) =>
    a!.rank === 2 && b!.rank === 2 && usesMlas()
      ? [mlasMatmul(a as tf.Tensor2D, b as tf.Tensor2D, transposeA, transposeB)]
      : [composedMatmulWithGradient(a!, b!, matmulDims(a!.shape, b!.shape, transposeA, transposeB))],
  fallback: ([a, b], { transposeA, transposeB }) => [composedMatmulWithGradient(a!, b!, matmulDims(a!.shape, b!.shape, transposeA, transposeB))],
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
  // Inside a mixed-precision scope (the training step's passes), 'f16' is the default precision.
  const precision = options.precision ?? (activeMixedPrecision() !== null ? 'f16' : 'f32');
  const variant = options.variant ?? (precision === 'f16' && matmulOp.usesKernel() ? chooseMatmulVariant(webgpuFeatures(), 'f16') : 'tiled-f32');
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
