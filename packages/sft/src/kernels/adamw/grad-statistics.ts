/**
 * Shape legend: P gradient tensors of any shapes.
 * The step's gradient statistics on the device: the global L2 norm, the clip scale and whether the
 * loss and the norm are finite, with no read-back (see grad-statistics.wgsl.ts). WGSL on webgpu;
 * composed tfjs ops elsewhere, with the same results.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedKernelsAreEnabled, getWebGPUBackend, runProgramOnTensors } from '../runtime';
import { gradStatisticsProgram, sumOfSquaresProgram } from './grad-statistics.wgsl';

/** The statistics of one step's gradients (both tensors owned by the caller). */
export interface GradStatistics {
  /** The global L2 norm of the gradients, before clipping. */
  gradNorm: tf.Scalar;
  /** [norm, clip scale (0 when not finite), finite (1 or 0), loss (0 when none was given)]. */
  statistics: tf.Tensor1D;
}

function composedStatistics(grads: readonly tf.Tensor[], loss: tf.Scalar | undefined, maxGradNorm: number): GradStatistics {
  return tf.tidy(() => {
    // Stacked then summed: tfjs splits a stack (concat) to fit the storage-buffer limit; AddN would not.
    const squares = grads.map((grad) => tf.sum(tf.square(grad)));
    const sumOfSquares = squares.length === 0 ? tf.scalar(0) : squares.length === 1 ? squares[0]! : tf.sum(tf.stack(squares));
    const norm = tf.sqrt(sumOfSquares) as tf.Scalar;
    const lossValue = loss === undefined ? tf.scalar(0) : tf.reshape(loss, []);
    const finite = tf.logicalAnd(tf.isFinite(sumOfSquares), tf.isFinite(lossValue));
    const clip = maxGradNorm > 0 ? tf.minimum(1, tf.div(maxGradNorm, tf.add(norm, 1e-6))) : tf.scalar(1);
    const statistics = tf.stack([norm, tf.where(finite, clip, tf.scalar(0)), tf.cast(finite, 'float32'), lossValue]) as tf.Tensor1D;
    return { gradNorm: norm, statistics };
  });
}

/**
 * Returns the global gradient norm and the step statistics of `grads` (clip scale for
 * `maxGradNorm`, 0 for no clipping; `loss` checked for finiteness too when given).
 */
export function gradStatistics(grads: readonly tf.Tensor[], loss: tf.Scalar | undefined, maxGradNorm: number): GradStatistics {
  if (!fusedKernelsAreEnabled() || tf.getBackend() !== 'webgpu' || grads.some((grad) => grad.dtype !== 'float32')) {
    return composedStatistics(grads, loss, maxGradNorm);
  }
  const limit = getWebGPUBackend().device.limits.maxStorageBuffersPerShaderStage;
  return tf.tidy(() => {
    const perDispatch = Math.max(1, limit - 1);
    const partials: tf.Tensor[] = [];
    for (let start = 0; start < grads.length; start += perDispatch) {
      const group = grads.slice(start, start + perDispatch).filter((grad) => grad.size > 0);
      if (group.length > 0) partials.push(runProgramOnTensors(sumOfSquaresProgram(group.map((grad) => grad.size)), group)[0]!);
    }
    if (partials.length === 0) partials.push(tf.zeros([1]));
    // The reduction binds every partial, the loss and its two outputs: concatenate first past the limit.
    const bound = partials.length + 3 <= limit ? partials : [tf.concat(partials.map((partial) => tf.reshape(partial, [-1])))];
    const lossValue = loss === undefined ? tf.zeros([1]) : tf.reshape(loss, [1]);
    const [gradNorm, statistics] = runProgramOnTensors(
      gradStatisticsProgram(
        bound.map((partial) => partial.size),
        maxGradNorm,
      ),
      [...bound, lossValue],
    );
    return { gradNorm: gradNorm as tf.Scalar, statistics: statistics as tf.Tensor1D };
  });
}
