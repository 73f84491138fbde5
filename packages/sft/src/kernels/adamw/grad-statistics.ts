/**
 * Shape legend: P gradient tensors of any shapes.
 * The step's gradient statistics on the device: the global L2 norm, the clip scale and whether the
 * loss and the norm are finite, with no read-back (see grad-statistics.wgsl.ts). WGSL on webgpu;
 * composed tfjs ops elsewhere, with the same results.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedKernelsAreEnabled, getWebGPUBackend, runProgramOnTensors } from '../runtime';
import { gradStatisticsProgram, sumOfSquaresProgram } from './grad-statistics.wgsl';
import type { LossScaler } from './loss-scale';

/** The statistics of one step's gradients (both tensors owned by the caller). */
export interface GradStatistics {
  /** The global L2 norm of the gradients, before clipping. */
  gradNorm: tf.Scalar;
  /**
   * [norm, clip scale (0 when not finite), finite (1 or 0), loss (0 when none was given)], and with
   * a loss scaler [scale used, next scale, good steps] (the clip scale is then divided by the scale).
   */
  statistics: tf.Tensor1D;
  /** With a loss scaler: its state after this step (hand it to LossScaler.replaceState). */
  lossScaleState?: tf.Tensor1D;
}

function composedStatistics(grads: readonly tf.Tensor[], loss: tf.Scalar | undefined, maxGradNorm: number, scaler?: LossScaler): GradStatistics {
  return tf.tidy(() => {
    // Stacked then summed: tfjs splits a stack (concat) to fit the storage-buffer limit; AddN would not.
    const squares = grads.map((grad) => tf.sum(tf.square(grad)));
    const sumOfSquares = squares.length === 0 ? tf.scalar(0) : squares.length === 1 ? squares[0]! : tf.sum(tf.stack(squares));
    const scale = scaler === undefined ? tf.scalar(1) : tf.reshape(tf.slice(scaler.state, [0], [1]), []);
    const norm = tf.div(tf.sqrt(sumOfSquares), scale) as tf.Scalar;
    const lossValue = loss === undefined ? tf.scalar(0) : tf.reshape(loss, []);
    const finite = tf.logicalAnd(tf.isFinite(sumOfSquares), tf.isFinite(lossValue));
    const clip = maxGradNorm > 0 ? tf.minimum(1, tf.div(maxGradNorm, tf.add(norm, 1e-6))) : tf.scalar(1);
    const values = [norm, tf.where(finite, tf.div(clip, scale), tf.scalar(0)), tf.cast(finite, 'float32'), lossValue];
    if (scaler === undefined) return { gradNorm: norm, statistics: tf.stack(values) as tf.Tensor1D };
    const { growthFactor, backoffFactor, growthInterval } = scaler.options;
    const counted = tf.add(tf.reshape(tf.slice(scaler.state, [1], [1]), []), 1);
    const grow = tf.greaterEqual(counted, growthInterval);
    const grown = tf.mul(scale, growthFactor);
    const next = tf.where(finite, tf.where(tf.logicalAnd(grow, tf.isFinite(grown)), grown, scale), tf.mul(scale, backoffFactor));
    const good = tf.where(tf.logicalAnd(finite, tf.logicalNot(grow)), counted, tf.scalar(0));
    return {
      gradNorm: norm,
      statistics: tf.stack([...values, scale, next, good]) as tf.Tensor1D,
      lossScaleState: tf.stack([next, good]) as tf.Tensor1D,
    };
  });
}

/**
 * Returns the global gradient norm and the step statistics of `grads` (clip scale for
 * `maxGradNorm`, 0 for no clipping; `loss` checked for finiteness too when given). With `scaler`,
 * `grads` are scaled by its scale: the norm and the clip scale are unscaled and the scale updated
 * (the new state in `lossScaleState`; see loss-scale.ts).
 */
export function gradStatistics(grads: readonly tf.Tensor[], loss: tf.Scalar | undefined, maxGradNorm: number, scaler?: LossScaler): GradStatistics {
  if (!fusedKernelsAreEnabled() || tf.getBackend() !== 'webgpu' || grads.some((grad) => grad.dtype !== 'float32')) {
    return composedStatistics(grads, loss, maxGradNorm, scaler);
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
    // The reduction binds every partial, the loss (and loss scale) and its two outputs: concatenate first past the limit.
    const bound = partials.length + 3 + (scaler ? 1 : 0) <= limit ? partials : [tf.concat(partials.map((partial) => tf.reshape(partial, [-1])))];
    const lossValue = loss === undefined ? tf.zeros([1]) : tf.reshape(loss, [1]);
    const [gradNorm, statistics] = runProgramOnTensors(
      gradStatisticsProgram(
        bound.map((partial) => partial.size),
        maxGradNorm,
        scaler?.options,
      ),
      [...bound, lossValue, ...(scaler ? [scaler.state] : [])],
    );
    // The kernel updated the scaler's state in place: a new handle on the same buffer.
    const lossScaleState = scaler ? (tf.clone(scaler.state) as tf.Tensor1D) : undefined;
    return { gradNorm: gradNorm as tf.Scalar, statistics: statistics as tf.Tensor1D, ...(lossScaleState ? { lossScaleState } : {}) };
  });
}
